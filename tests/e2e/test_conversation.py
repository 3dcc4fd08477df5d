"""Conversations through the real stack: trained Rasa model, action server and gateway."""
from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from bot.bench.stack import process_of
from tests.conftest import Talent

pytestmark = pytest.mark.e2e


def test_greeting_is_answered_as_small_talk(talent: Talent) -> None:
    result = talent.say("Hello!")
    reply = result["replies"][0]
    assert reply["meta"]["outcome"] == "smalltalk"
    assert reply["meta"]["intent"] == "greet"
    assert result["language"] == "en"
    assert result["handoff"]["state"] == "none"


@pytest.mark.parametrize(("text", "topic", "lang"), [
    ("How do I register in the population register after moving to Stockholm?", "folkbokforing", "en"),
    ("What do I need to get a work permit for a job in Sweden?", "work-permit", "en"),
    ("Hur skaffar jag ett svenskt id-kort hos Skatteverket?", "id-card", "sv"),
    ("Hur ställer jag mig i bostadskön i Stockholm?", "housing", "sv"),
])
def test_knowledge_question_is_answered_with_its_source(api: httpx.Client, text: str, topic: str,
                                                        lang: str) -> None:
    result = Talent(api).say(text)
    assert result["language"] == lang
    reply = result["replies"][0]
    assert reply["meta"]["outcome"] == "answer", reply
    assert reply["meta"]["topic"] == topic
    assert reply["sources"], "an answer must link the authority's page"
    for source in reply["sources"]:
        assert source["url"].startswith("https://")
        assert source["reviewed"][:4] == "2026"


def test_answer_is_in_the_language_of_the_question(talent: Talent) -> None:
    reply = talent.say("Vad är ett samordningsnummer och vem kan få ett?")["replies"][0]
    assert reply["meta"]["topic"] == "samordningsnummer"
    assert "samordningsnummer" in reply["text"].lower()
    assert " och " in reply["text"], "the Swedish article should be quoted, not the English one"


def test_asking_for_a_person_offers_a_handoff_and_yes_queues_it(talent: Talent) -> None:
    offer = talent.say("I want to talk to a real person please")
    assert offer["replies"][0]["meta"]["outcome"] == "handoff"
    assert offer["handoff"]["state"] == "offered"
    assert [b["payload"] for b in offer["replies"][0]["buttons"]] == ["/affirm", "/deny"]
    accepted = talent.say("/affirm")
    assert accepted["handoff"]["state"] == "queued"


def test_swedish_request_for_a_person(talent: Talent) -> None:
    offer = talent.say("Kan jag få prata med en handläggare?")
    assert offer["replies"][0]["meta"]["outcome"] == "handoff"
    assert offer["language"] == "sv"


def test_repeated_client_message_id_is_answered_once(talent: Talent) -> None:
    client_id = str(uuid.uuid4())
    first = talent.say("How do I get BankID?", client_message_id=client_id)
    second = talent.say("How do I get BankID?", client_message_id=client_id)
    assert first["replies"] == second["replies"]
    messages = talent.transcript()["messages"]
    assert [m["role"] for m in messages].count("user") == 1
    assert len(messages) == 1 + len(first["replies"])


def test_transcript_keeps_the_order_of_the_conversation(talent: Talent) -> None:
    talent.say("Hi")
    talent.say("How do I open a bank account without a personnummer?")
    roles = [m["role"] for m in talent.transcript()["messages"]]
    assert roles[0] == "user" and roles[1] == "bot" and roles[2] == "user" and roles[3] == "bot"


def test_erased_conversation_is_gone_from_the_gateway_and_from_rasas_tracker_store(stack, api: httpx.Client) -> None:
    import sqlite3

    talent = Talent(api)
    talent.say("Hello, my name is Testperson")
    trackers = sqlite3.connect(stack.env["RASA_TRACKER_DB"])
    count = "SELECT count(*) FROM events WHERE sender_id = ?"
    assert trackers.execute(count, (talent.id,)).fetchone()[0] > 0
    assert api.delete(f"/api/v1/conversations/{talent.id}", headers=talent.headers).status_code == 204
    assert api.get(f"/api/v1/conversations/{talent.id}/messages", headers=talent.headers).status_code == 404
    assert trackers.execute(count, (talent.id,)).fetchone()[0] == 0, "Rasa's rows of the talent must go too"


def test_websocket_pushes_the_replies(stack, talent: Talent) -> None:
    from websockets.sync.client import connect

    ws_url = stack.url.replace("http", "ws") + f"/api/v1/conversations/{talent.id}/ws?token={talent.token}"
    with connect(ws_url, open_timeout=10) as ws:
        talent.say("Thanks!")
        events = [__import__("json").loads(ws.recv(timeout=10)) for _ in range(2)]
    assert events[0]["message"]["role"] == "user"
    assert events[1]["message"]["role"] == "bot"
    assert events[1]["message"]["meta"]["intent"] == "thanks"


def test_a_clarify_button_answers_the_chosen_topic(talent: Talent) -> None:
    reply = talent.say('/ask_question{"topic": "housing"}')["replies"][0]
    assert reply["meta"]["outcome"] == "answer"
    assert reply["meta"]["topic"] == "housing"


def test_the_action_server_retrieves_with_rasas_vectors_and_never_loads_torch(stack, talent: Talent) -> None:
    question = talent.say("Hur ställer jag mig i bostadskön i Stockholm?")["replies"][0]
    assert question["meta"]["outcome"] == "answer"
    assert question["meta"]["topic"] == "housing"
    chosen = talent.say('/ask_question{"topic": "sfi"}')["replies"][0]  # after a question: ranked by it
    assert (chosen["meta"]["outcome"], chosen["meta"]["topic"]) == ("answer", "sfi")
    maps = Path(f"/proc/{process_of(stack, 'actions')}/maps").read_text()
    assert "libtorch" not in maps, "the action server loaded torch to embed a question Rasa had embedded"


def test_asking_for_another_language_switches_the_replies(talent: Talent) -> None:
    switched = talent.say("Can you answer in Swedish please?")
    assert switched["language"] == "sv"
    assert switched["replies"][0]["meta"]["intent"] == "switch_language"
    follow_up = talent.say("How do I apply for an ID card?")
    assert follow_up["language"] == "sv"
    assert follow_up["replies"][0]["meta"]["topic"] == "id-card"
    assert " och " in follow_up["replies"][0]["text"]


def test_an_emergency_gets_the_numbers_first_and_the_offer_of_a_person(talent: Talent) -> None:
    result = talent.say("my friend collapsed and is not breathing, what do I do")
    first, second = result["replies"][:2]
    assert first["meta"]["outcome"] == "emergency"
    assert first["text"].lstrip().split("\n")[0].count("112") == 1
    assert second["meta"]["outcome"] == "handoff"
    assert result["handoff"]["state"] == "offered"


def test_a_persian_question_is_answered_in_persian(talent: Talent) -> None:
    result = talent.say("چطور می‌توانم در سوئد حساب بانکی باز کنم؟ هنوز personnummer ندارم")
    assert result["language"] == "fa"
    reply = result["replies"][0]
    assert reply["meta"]["topic"] in {"bank-account", "personnummer"}
    assert any("\u0600" <= ch <= "\u06FF" for ch in reply["text"])
