"""Rendering replies for Telegram: escaping, sources, limits, and the buttons' callback data."""
from __future__ import annotations

import pytest

from bot import messages
from bot.channels.telegram import callbacks, render
from bot.channels.telegram.handlers import switch_language_payload
from bot.dialogue.language import requested_language
from bot.knowledge.articles import LANGUAGES
from tests.channels.telegram.fake_bot_api import visible_text


def test_text_from_outside_is_escaped_and_the_answers_markdown_becomes_html() -> None:
    reply = {"text": "**Title** — <script>alert(1)</script> & [Skatteverket](https://skatteverket.se/?a=1&b=\"2\")",
             "sources": []}
    [html_text] = render.message_html(reply, "en")
    assert html_text.startswith("<b>Title</b> — &lt;script&gt;")
    assert '<a href="https://skatteverket.se/?a=1&amp;b=&quot;2&quot;">Skatteverket</a>' in html_text
    assert visible_text(html_text) == "Title — <script>alert(1)</script> & Skatteverket"


def test_only_http_links_become_links() -> None:
    [html_text] = render.message_html({"text": "[click](javascript:void)"}, "en")
    assert "<a" not in html_text and visible_text(html_text) == "click"


def test_sources_are_links_with_the_checked_date_in_the_conversations_language() -> None:
    reply = {"text": "Svar.", "sources": [{"title": "Flytta <till> Sverige", "url": "https://skatteverket.se/flytta",
                                           "reviewed": "2026-11-27"}]}
    [html_text] = render.message_html(reply, "sv")
    assert '<a href="https://skatteverket.se/flytta">Flytta &lt;till&gt; Sverige</a>' in html_text
    assert messages.text("sv", "checked_on", date="2026-11-27") in visible_text(html_text)
    assert messages.text("sv", "sources_label") in visible_text(html_text)


def test_an_agents_message_shows_who_wrote_it() -> None:
    [html_text] = render.message_html({"role": "agent", "text": "Hej!", "meta": {"agent": "Anna <Berg>"}}, "en")
    assert visible_text(html_text).startswith(f"👤 Anna <Berg> · {messages.text('en', 'agent_label')}")


def test_long_replies_are_split_under_telegrams_limit_without_breaking_tags() -> None:
    paragraphs = [f"**Part {i}** " + "ö & < " * 200 for i in range(12)]
    parts = render.message_html({"text": "\n\n".join(paragraphs) + "\n\n" + "x" * 9000}, "en")
    assert len(parts) > 2
    for part in parts:
        assert len(part) <= render.MAX_CHARS
        visible_text(part)  # raises where Telegram would refuse the HTML


def test_buttons_refer_to_their_payload_within_64_bytes() -> None:
    buttons = [{"title": "Personnummer", "payload": '/ask_question{"topic":"personnummer"}' * 3}, {"title": "Bank"}]
    keyboard = render.reply_keyboard(2**62, buttons)
    data = [row[0].callback_data for row in keyboard.inline_keyboard]
    assert all(len(d.encode()) <= callbacks.MAX_BYTES for d in data)
    assert [callbacks.parse(d) for d in data] == [callbacks.ReplyButton(2**62, 0), callbacks.ReplyButton(2**62, 1)]


@pytest.mark.parametrize("data", ["", "lang:xx", "1:2:3", "abc", "-1:0", "1:", "lang:", "1:999", None])
def test_callback_data_this_bot_never_sent_means_nothing(data: str | None) -> None:
    assert callbacks.parse(data) is None


def test_the_language_keyboard_names_each_language_in_itself() -> None:
    keyboard = render.language_keyboard()
    buttons = [b for row in keyboard.inline_keyboard for b in row]
    assert [b.text for b in buttons] == [messages.language_name(code) for code in LANGUAGES]
    assert {callbacks.parse(b.callback_data) for b in buttons} == {callbacks.LanguageChoice(c) for c in LANGUAGES}


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_language_payload_names_a_language_the_switch_action_recognises(code: str) -> None:
    # action_switch_language reads the target from the text; the payload must name it there.
    assert requested_language(switch_language_payload(code)) == code
