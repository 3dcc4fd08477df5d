"""The webhook in-process, with Rasa out of reach: the secret, bad bodies, duplicates, an unreachable Bot API."""
from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import messages
from bot.gateway.main import create_app
from bot.gateway.settings import GatewaySettings
from tests.channels.telegram.fake_bot_api import FakeBotApi, text_of
from tests.channels.telegram.talent import TelegramTalent

SECRET = "in-process-secret-0123456789"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _settings(tmp_path: Path, base_url: str, token: str) -> GatewaySettings:
    return GatewaySettings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'g.db'}",
                           rasa_url=f"http://127.0.0.1:{_closed_port()}", rasa_timeout_s=1.0,
                           telegram_token=token, telegram_base_url=base_url, telegram_mode="webhook",
                           telegram_webhook_url="https://bot.example.org/telegram/webhook",
                           telegram_secret_token=SECRET)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, telegram_api: FakeBotApi) -> Iterator[TestClient]:
    app = create_app(_settings(tmp_path_factory.mktemp("webhook"), telegram_api.base_url, telegram_api.token))
    with TestClient(app) as test_client:
        # The channel connects in the background; until then updates are refused with 503.
        deadline = time.monotonic() + 10
        while not app.state.telegram.ready.is_set() and time.monotonic() < deadline:
            time.sleep(0.05)
        yield test_client


@pytest.fixture
def talent(client: TestClient, telegram_api: FakeBotApi) -> TelegramTalent:
    return TelegramTalent(client, telegram_api, SECRET)


def test_start_sets_the_webhook_with_the_secret_and_the_update_kinds(telegram_api: FakeBotApi,
                                                                     client: TestClient) -> None:
    [call, *_] = telegram_api.wait_for("setWebhook", where=lambda c: "bot.example.org" in c.params.get("url", ""))
    assert call.params["url"] == "https://bot.example.org/telegram/webhook"
    assert call.params["secret_token"] == SECRET
    assert call.params["allowed_updates"] == ["message", "callback_query"]


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET[:-1], SECRET + "x"])
def test_a_missing_or_wrong_secret_is_refused_and_nothing_is_processed(talent: TelegramTalent,
                                                                       secret: str | None) -> None:
    update = talent.message_update("How do I get a personnummer?")
    refused = talent.post(update, secret=secret)
    assert refused.status_code == 403
    assert refused.json() == {"detail": "The Telegram secret token header is missing or wrong."}
    # Not processed, and not recorded as processed: the same update with the right secret is answered.
    assert talent.sent() == []
    assert talent.post(update).status_code == 200
    assert len(talent.wait_sent(1)) == 1


@pytest.mark.parametrize(("body", "detail"), [
    (b"{not json", "The request body is not valid JSON."),
    (b"\xff\xfe", "The request body is not valid JSON."),
    (b"[1, 2]", "The update must be a JSON object, not list."),
    (b'{"message": {}}', "The field 'update_id' must be a 64-bit integer, not None."),
    (b'{"update_id": "7"}', "The field 'update_id' must be a 64-bit integer, not '7'."),
    (b'{"update_id": 99999999999999999999}', "The field 'update_id' must be a 64-bit integer, not 99999999999999999999."),
    (b'{"update_id": 5, "message": {"message_id": 1, "date": 0, "chat": {"id": "x", "type": "private"}}}',
     "The field 'chat.id' must be a 64-bit integer, not 'x'."),
])
def test_a_body_that_is_not_an_update_is_400_with_one_sentence(talent: TelegramTalent, body: bytes,
                                                               detail: str) -> None:
    response = talent.post(body)
    assert response.status_code == 400
    assert response.json() == {"detail": detail}


def test_a_redelivered_update_is_answered_once(talent: TelegramTalent) -> None:
    update = talent.message_update("Hur får jag ett personnummer?")
    assert talent.post(update).status_code == 200
    assert talent.post(update).status_code == 200
    [reply] = talent.wait_sent(1)
    # Rasa is out of reach here: the honest reply, in the talent's language.
    assert text_of(reply) == messages.text("sv", "unavailable")
    time.sleep(0.5)
    assert len(talent.sent()) == 1


def test_a_photo_gets_a_text_only_notice(talent: TelegramTalent) -> None:
    update = talent.message_update(None, photo=[{"file_id": "AgAD", "file_unique_id": "u1", "width": 90,
                                                 "height": 90}])
    assert talent.post(update).status_code == 200
    [reply] = talent.wait_sent(1)
    assert "text" in text_of(reply)


def test_a_message_over_the_limit_is_not_posted(talent: TelegramTalent, client: TestClient) -> None:
    limit = client.app.state.settings.max_message_chars
    talent.say("a" * (limit + 1))
    [reply] = talent.wait_sent(1)
    assert str(limit) in text_of(reply)


def test_html_that_telegram_refuses_is_resent_as_plain_text(talent: TelegramTalent) -> None:
    talent.api.fail_next("sendMessage", 400, "Bad Request: can't parse entities: unsupported start tag \"x\"",
                        chat_id=talent.chat_id)
    talent.say("Hur får jag ett personnummer?")
    talent.wait_sent(1)
    refused, plain = talent.api.calls_of("sendMessage", chat_id=talent.chat_id, ok=None)
    assert (refused.status, refused.params["parse_mode"]) == (400, "HTML")
    assert (plain.status, plain.params.get("parse_mode")) == (200, None)
    assert plain.params["text"] == messages.text("sv", "unavailable")


def test_a_failing_handler_still_tells_the_talent(talent: TelegramTalent) -> None:
    talent.api.fail_next("sendMessage", 400, "Bad Request: message to be replied not found", chat_id=talent.chat_id)
    talent.say("/language")
    [notice] = talent.wait_sent(1)
    assert text_of(notice) == messages.text("en", "unavailable")
    assert "reply_markup" not in notice.params


def test_the_bot_token_stays_out_of_the_logs(talent: TelegramTalent, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        talent.say("Hello!")
        talent.wait_sent(1)
    requests = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert any("/sendMessage" in m for m in requests), requests
    assert not [m for m in (r.getMessage() for r in caplog.records) if talent.api.token in m]


def test_group_chats_are_not_answered(talent: TelegramTalent) -> None:
    update = talent.message_update("hello everyone")
    update["message"]["chat"] = {"id": -100123456789, "type": "supergroup", "title": "Newcomers"}
    assert talent.post(update).status_code == 200
    time.sleep(0.3)
    assert talent.api.calls_of("sendMessage", chat_id=-100123456789) == []


def test_the_gateway_serves_the_widget_while_telegram_is_out_of_reach(tmp_path: Path) -> None:
    settings = _settings(tmp_path, f"http://127.0.0.1:{_closed_port()}/bot", "1:unreachable")
    with TestClient(create_app(settings)) as test_client:
        assert test_client.post("/api/v1/conversations", json={}).status_code == 201
        response = test_client.post("/telegram/webhook", json={"update_id": 1},
                                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
        assert response.status_code == 503
        assert response.headers["retry-after"] == "5"


def test_polling_mode_receives_updates_without_a_webhook(tmp_path: Path, telegram_api: FakeBotApi) -> None:
    settings = _settings(tmp_path, telegram_api.base_url, telegram_api.token).model_copy(
        update={"telegram_mode": "polling", "telegram_webhook_url": None})
    with TestClient(create_app(settings)) as test_client:
        talent = TelegramTalent(test_client, telegram_api, SECRET)
        telegram_api.push_update(talent.message_update("Hur får jag ett personnummer?"))
        [reply] = talent.wait_sent(1)
        assert text_of(reply) == messages.text("sv", "unavailable")
        # The webhook is not how this gateway receives updates.
        assert talent.post(talent.message_update("hello")).status_code == 404
    assert telegram_api.calls_of("deleteWebhook")


# Mostly what Telegram sends, with any field garbled now and then, so that most examples get past parsing.
_garbage = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                    max_size=3),
                        max_leaves=8)


def _mostly(valid: st.SearchStrategy) -> st.SearchStrategy:
    """`valid` nine times in ten, garbage otherwise."""
    return st.integers(min_value=0, max_value=9).flatmap(lambda n: _garbage if n == 0 else valid)


_id = _mostly(st.integers(min_value=1, max_value=2**40))
_user = _mostly(st.fixed_dictionaries({"id": _id, "is_bot": st.just(False), "first_name": st.text(max_size=10)},
                                      optional={"language_code": _mostly(st.sampled_from(["en", "sv", "pt-br", "xx"]))}))
_chat = _mostly(st.fixed_dictionaries({"id": _id, "type": _mostly(st.sampled_from(["private", "group"]))}))
_text = _mostly(st.one_of(st.text(max_size=30), st.sampled_from(["/start", "/language", "/human", "/delete", "/x"])))
_date = _mostly(st.integers(min_value=1_500_000_000, max_value=1_900_000_000))
_message = _mostly(st.fixed_dictionaries({"message_id": _id, "date": _date, "chat": _chat},
                                         optional={"from": _user, "text": _text, "entities": _garbage,
                                                   "photo": _garbage}))
_query = _mostly(st.fixed_dictionaries({"id": _mostly(st.text(min_size=1, max_size=10)), "from": _user,
                                        "chat_instance": st.text(max_size=5)},
                                       optional={"data": _mostly(st.text(max_size=70) | st.sampled_from(
                                           ["lang:sv", "lang:xx", "1:0", "99999999:3"])), "message": _message}))
_update = st.fixed_dictionaries({"update_id": _id}, optional={"message": _message, "callback_query": _query,
                                                              "edited_message": _garbage})
_bodies = st.one_of(_update.map(lambda u: json.dumps(u).encode()), _update.map(lambda u: json.dumps(u).encode()),
                    _garbage.map(lambda v: json.dumps(v).encode()), st.binary(max_size=40))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=_bodies)
def test_garbled_updates_never_give_a_500(client: TestClient, body: bytes) -> None:
    response = client.post("/telegram/webhook", content=body,
                           headers={"X-Telegram-Bot-Api-Secret-Token": SECRET, "content-type": "application/json"})
    assert response.status_code in (200, 400), (response.status_code, response.text, body)
    assert isinstance(response.json(), dict)
