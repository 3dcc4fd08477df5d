"""Replies as Telegram HTML messages with inline keyboards; everything from outside is escaped."""
from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import messages
from bot.channels.telegram import callbacks, texts
from bot.knowledge.articles import LANGUAGES

# Telegram refuses longer messages; the count is of characters after entity parsing, so the
# length of the HTML source is a safe upper bound.
MAX_CHARS = 4096
# A raw piece this long stays under MAX_CHARS even if every character needs a 6-character entity.
_RAW_PIECE = MAX_CHARS // 6
# The answers' own Markdown: bold titles and, rarely, inline links. Anything else stays literal text.
_MARKUP = re.compile(r"\*\*(?P<bold>[^*\n]+?)\*\*|\[(?P<label>[^\]\n]+)\]\((?P<url>[^\s)]+)\)")


def link(title: str, url: str) -> str:
    """An <a> element, or just the escaped title when the url is not http(s)."""
    if urlsplit(url).scheme not in ("http", "https"):
        return html.escape(title)
    return f'<a href="{html.escape(url, quote=True)}">{html.escape(title)}</a>'


def inline_html(text: str) -> str:
    out: list[str] = []
    position = 0
    for match in _MARKUP.finditer(text):
        out.append(html.escape(text[position:match.start()]))
        if match.group("bold") is not None:
            out.append(f"<b>{html.escape(match.group('bold'))}</b>")
        else:
            out.append(link(match.group("label"), match.group("url")))
        position = match.end()
    out.append(html.escape(text[position:]))
    return "".join(out)


def sources_html(sources: list[dict], lang: str) -> str:
    lines = [f"<b>{html.escape(messages.text(lang, 'sources_label'))}</b>"]
    for source in sources:
        title, url = str(source.get("title") or source.get("url") or ""), str(source.get("url") or "")
        line = f"• {link(title, url)}"
        if source.get("reviewed"):
            checked = messages.text(lang, "checked_on", date=str(source["reviewed"]))
            line += f" ({html.escape(checked)})"
        lines.append(line)
    return "\n".join(lines)


def agent_header(meta: dict | None, lang: str) -> str:
    """Marks a message as written by a person: the agent's display name and what they are."""
    label = texts.text(lang, "agent_label")
    name = str((meta or {}).get("agent") or "").strip()
    return f"👤 <b>{html.escape(name)}</b> · {html.escape(label)}" if name else f"👤 <b>{html.escape(label)}</b>"


def _blocks(text: str) -> list[str]:
    blocks = []
    for paragraph in text.split("\n\n"):
        if not paragraph.strip():
            continue
        rendered = inline_html(paragraph)
        if len(rendered) <= MAX_CHARS:
            blocks.append(rendered)
        else:
            blocks += [html.escape(paragraph[i:i + _RAW_PIECE]) for i in range(0, len(paragraph), _RAW_PIECE)]
    return blocks


def _pack(blocks: list[str]) -> list[str]:
    """Paragraphs joined into as few messages as Telegram's limit allows."""
    chunks: list[str] = []
    for block in blocks:
        if chunks and len(chunks[-1]) + 2 + len(block) <= MAX_CHARS:
            chunks[-1] += "\n\n" + block
        else:
            chunks.append(block)
    return chunks or [html.escape("…")]


def message_html(message: dict, lang: str) -> list[str]:
    """A reply or stored message as one or more HTML texts (the last one gets the keyboard)."""
    blocks = []
    if message.get("role") == "agent":
        blocks.append(agent_header(message.get("meta"), lang))
    blocks += _blocks(str(message.get("text") or ""))
    if message.get("sources"):
        blocks.append(sources_html(message["sources"], lang))
    return _pack(blocks)


def reply_keyboard(reply_id: int | None, buttons: list[dict]) -> InlineKeyboardMarkup | None:
    """One button per row (titles are sentences); each refers to its payload by reply id and index."""
    if not buttons or reply_id is None:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(str(b.get("title") or "…"),
                                                       callback_data=callbacks.reply_button(reply_id, i))]
                                 for i, b in enumerate(buttons)])


def language_keyboard() -> InlineKeyboardMarkup:
    """The 14 languages by their own names, two per row."""
    buttons = [InlineKeyboardButton(messages.language_name(code), callback_data=callbacks.language_choice(code))
               for code in LANGUAGES]
    return InlineKeyboardMarkup([buttons[i:i + 2] for i in range(0, len(buttons), 2)])
