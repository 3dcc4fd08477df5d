"""Sending rendered messages to a chat; the rate limiter (AIORateLimiter) paces and retries them."""
from __future__ import annotations

import html
import logging
import re

from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.channels.telegram import render

log = logging.getLogger(__name__)

# Source links would each unfurl into a preview card; the answer is the point, not the preview.
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
_TAG = re.compile(r"<[^>]+>")


async def send_html(bot: Bot, chat_id: int, text: str, keyboard: InlineKeyboardMarkup | None = None) -> None:
    try:
        await bot.send_message(chat_id, text, parse_mode=ParseMode.HTML, reply_markup=keyboard,
                               link_preview_options=_NO_PREVIEW)
    except BadRequest as exc:
        if "parse" not in str(exc).lower():
            raise
        # Everything is escaped, so this is a bug in rendering; the talent still gets the words.
        log.error("chat %s: Telegram could not parse our HTML (%s); sending it as plain text", chat_id, exc)
        await bot.send_message(chat_id, html.unescape(_TAG.sub("", text)), reply_markup=keyboard,
                               link_preview_options=_NO_PREVIEW)


async def send_text(bot: Bot, chat_id: int, text: str, keyboard: InlineKeyboardMarkup | None = None) -> None:
    """One of the bot's own plain texts, escaped."""
    await send_html(bot, chat_id, html.escape(text), keyboard)


async def send_message(bot: Bot, chat_id: int, message: dict, lang: str) -> None:
    """A reply or stored message: its text, sources and (on the last part) its buttons."""
    buttons = message.get("buttons") or []
    keyboard = render.reply_keyboard(message.get("id"), buttons)
    if buttons and keyboard is None:
        log.warning("chat %s: a reply with buttons has no message id; sending it without them", chat_id)
    parts = render.message_html(message, lang)
    for i, part in enumerate(parts):
        await send_html(bot, chat_id, part, keyboard if i == len(parts) - 1 else None)
