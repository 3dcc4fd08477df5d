"""Telegram through the real stack: updates as Telegram sends them to the webhook, and what the bot then
asks the (local) Bot API to do."""
from __future__ import annotations

import re
import threading
import time

import httpx
import pytest

from bot import messages
from bot.bench.stack import Stack
from bot.channels.telegram import texts
from bot.knowledge.articles import LANGUAGES
from tests.browser.conftest import create_agent
from tests.channels.telegram.conftest import query
from tests.channels.telegram.fake_bot_api import FakeBotApi, text_of
from tests.channels.telegram.talent import TelegramTalent

pytestmark = pytest.mark.e2e


def _buttons(call) -> list[str]:
    return [b["text"] for row in call.params["reply_markup"]["inline_keyboard"] for b in row]


def _conversation_of(stack: Stack, tg: TelegramTalent) -> str | None:
    rows = query(stack, "SELECT conversation_id FROM telegram_chats WHERE chat_id = ?", tg.chat_id)
    return rows[0][0] if rows else None


def test_the_gateway_sets_its_webhook_with_the_secret(stack: Stack, telegram_api: FakeBotApi,
                                                      webhook_client: httpx.Client) -> None:
    [call] = telegram_api.calls_of("setWebhook")[-1:]
    assert call.params["url"] == f"{stack.url}/telegram/webhook"
    assert call.params["secret_token"] == stack.env["IHS_TELEGRAM_SECRET_TOKEN"]
    assert call.params["allowed_updates"] == ["message", "callback_query"]


def test_a_question_is_answered_with_the_authoritys_link_and_date(stack: Stack, tg: TelegramTalent) -> None:
    update = tg.say("How do I get a personnummer?")
    [answer] = tg.wait_sent(1)
    assert answer.params["parse_mode"] == "HTML"
    assert re.search(r'<a href="https://[^"]*skatteverket\.se[^"]*">', answer.params["text"])
    shown = text_of(answer)
    assert "personnummer" in shown.lower()
    assert re.search(r"Checked on \d{4}-\d{2}-\d{2}", shown)
    conversation_id = _conversation_of(stack, tg)
    assert query(stack, "SELECT channel FROM conversations WHERE id = ?", conversation_id) == [("telegram",)]
    user_messages = query(stack, "SELECT text, client_message_id FROM messages WHERE conversation_id = ? "
                                 "AND role = 'user'", conversation_id)
    assert user_messages == [("How do I get a personnummer?", f"telegram:{update['update_id']}")]


def test_a_pressed_button_is_answered_and_its_payload_posted(tg: TelegramTalent) -> None:
    tg.say("/human")
    [offer] = tg.wait_sent(1)
    assert _buttons(offer) == [messages.text("en", "button_yes"), messages.text("en", "button_no")]
    pressed = tg.press(offer, 1)
    assert len(tg.answered(pressed)) == 1
    [_, declined] = tg.wait_sent(2)
    assert text_of(declined) == messages.text("en", "handoff_declined")


def test_a_redelivered_update_is_answered_once_even_when_the_copies_arrive_together(tg: TelegramTalent) -> None:
    update = tg.message_update("What is BankID?")
    statuses: list[int] = []
    copies = [threading.Thread(target=lambda: statuses.append(tg.post(update).status_code)) for _ in range(3)]
    for copy in copies:
        copy.start()
    for copy in copies:
        copy.join()
    assert statuses == [200, 200, 200]
    assert tg.post(update).status_code == 200
    tg.wait_sent(1)
    time.sleep(2)
    assert len(tg.sent()) == 1


def test_a_wrong_secret_is_refused_and_nothing_is_processed(stack: Stack, tg: TelegramTalent) -> None:
    refused = tg.post(tg.message_update("How do I get a personnummer?"), secret="not-the-secret")
    assert refused.status_code == 403
    assert refused.json() == {"detail": "The Telegram secret token header is missing or wrong."}
    assert tg.post(tg.message_update("How do I get a personnummer?"), secret=None).status_code == 403
    time.sleep(1)
    assert tg.sent() == []
    assert _conversation_of(stack, tg) is None


def test_start_greets_in_the_apps_language_without_locking_it(new_talent) -> None:
    tg = new_talent("sv")
    tg.say("/start")
    [greeting] = tg.wait_sent(1)
    assert text_of(greeting) == f"{messages.text('sv', 'greet')}\n\n{messages.text('sv', 'privacy_notice')}"
    # The app's language is where the conversation starts; what the talent writes decides.
    tg.say("How do I get a personnummer?")
    [_, answer] = tg.wait_sent(2)
    assert messages.text("en", "checked_on", date="") in text_of(answer)


def test_language_then_swedish_switches_the_replies(stack: Stack, tg: TelegramTalent) -> None:
    tg.say("/language")
    [menu] = tg.wait_sent(1)
    names = _buttons(menu)
    assert names == [messages.language_name(code) for code in LANGUAGES]
    pressed = tg.press(menu, names.index("Svenska"))
    assert len(tg.answered(pressed)) == 1
    [_, switched] = tg.wait_sent(2)
    assert text_of(switched) == messages.text("sv", "language_switched", language="Svenska")
    tg.say("How do I get a personnummer?")
    [*_, answer] = tg.wait_sent(3)
    assert messages.text("sv", "checked_on", date="") in text_of(answer)
    assert query(stack, "SELECT language, language_locked FROM conversations WHERE id = ?",
                 _conversation_of(stack, tg)) == [("sv", 1)]


def test_delete_erases_the_conversation_and_old_buttons_stop_working(stack: Stack, tg: TelegramTalent) -> None:
    tg.say("/human")
    [offer] = tg.wait_sent(1)
    conversation_id = _conversation_of(stack, tg)
    assert conversation_id is not None
    tg.say("/delete")
    [_, confirmation] = tg.wait_sent(2)
    assert text_of(confirmation) == texts.text("en", "conversation_deleted")
    assert _conversation_of(stack, tg) is None
    assert query(stack, "SELECT count(*) FROM conversations WHERE id = ?", conversation_id) == [(0,)]
    assert query(stack, "SELECT count(*) FROM messages WHERE conversation_id = ?", conversation_id) == [(0,)]
    pressed = tg.press(offer, 0)
    [answer] = tg.answered(pressed)
    assert answer.params["text"] == texts.text("en", "button_expired")
    time.sleep(1)
    assert len(tg.sent()) == 2
    assert _conversation_of(stack, tg) is None


def test_telegrams_retry_after_is_waited_out(telegram_api: FakeBotApi, tg: TelegramTalent) -> None:
    telegram_api.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1,
                          chat_id=tg.chat_id)
    started = time.monotonic()
    tg.say("Hello!")
    [greeting] = tg.wait_sent(1)
    assert time.monotonic() - started >= 1
    assert text_of(greeting) == messages.text("en", "greet")
    assert [c.status for c in telegram_api.calls_of("sendMessage", chat_id=tg.chat_id, ok=None)] == [429, 200]


def test_an_agents_reply_reaches_the_chat_marked_as_from_a_person(stack: Stack, tg: TelegramTalent,
                                                                  telegram_api: FakeBotApi) -> None:
    create_agent(stack, "tg-agent", "a long test password 123", display_name="Tove")
    with httpx.Client(base_url=stack.url, timeout=30) as agent:
        login = agent.post("/api/v1/agent/login", json={"username": "tg-agent",
                                                        "password": "a long test password 123"})
        assert login.status_code == 200, login.text
        agent.headers["X-CSRF-Token"] = login.json()["csrf_token"]

        tg.say("/human")
        [offer] = tg.wait_sent(1)
        tg.press(offer, 0)  # "Yes, please"
        tg.wait_sent(2)
        conversation_id = _conversation_of(stack, tg)
        queued = agent.get("/api/v1/agent/queue").json()["queued"]
        assert conversation_id in [item["conversation_id"] for item in queued]
        before = len(tg.sent())

        claimed = agent.post(f"/api/v1/agent/conversations/{conversation_id}/claim")
        assert claimed.status_code == 200, claimed.text
        joined = tg.wait_sent(before + 1)[-1]
        assert text_of(joined) == messages.text("en", "handoff_active", agent="Tove")

        sent = agent.post(f"/api/v1/agent/conversations/{conversation_id}/messages",
                          json={"text": "Hi! I can help <you> & your family."})
        assert sent.status_code == 201, sent.text
        reply = tg.wait_sent(before + 2)[-1]
        assert text_of(reply) == f"👤 Tove · {messages.text('en', 'agent_label')}\n\nHi! I can help <you> & your family."
        assert "&lt;you&gt; &amp; your family" in reply.params["text"]

        # The talent's own messages now wait for the agent: the bot stays silent.
        tg.say("Thank you, I have a question about my permit")
        time.sleep(1.5)
        assert len(tg.sent()) == before + 2

        closed = agent.post(f"/api/v1/agent/conversations/{conversation_id}/close")
        assert closed.status_code == 200, closed.text
        rating = tg.wait_sent(before + 4)[-1]
        assert _buttons(rating) == ["1", "2", "3", "4", "5"]
        pressed = tg.press(rating, 4)
        assert len(tg.answered(pressed)) == 1
        thanks = tg.wait_sent(before + 5)[-1]
        assert text_of(thanks) == messages.text("en", "rating_thanks")
        # The fifth button's payload ("/rate 5") was looked up and posted.
        assert query(stack, "SELECT rating FROM conversations WHERE id = ?", conversation_id) == [(5,)]
