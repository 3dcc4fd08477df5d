"""Faults injected into the real processes: every accepted message is answered exactly once (an honest
"temporarily unavailable" counts), quickly, and the conversation goes on once the supervisor has
restarted the failed part."""
from __future__ import annotations

import concurrent.futures
import os
import signal
import time
import uuid

import httpx
import pytest

from bot.bench.stack import Stack, kill_tree, process_of
from tests.conftest import Talent

pytestmark = pytest.mark.e2e


def _wait_until_answering(talent: Talent, timeout_s: float = 180) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        reply = talent.say("How do I get BankID?")
        if reply["replies"][0]["meta"]["outcome"] == "answer":
            return reply
        time.sleep(2)
    raise AssertionError("the product did not recover")


def _answered_once_in_order(talent: Talent) -> None:
    messages = talent.transcript()["messages"]
    users = [m for m in messages if m["role"] == "user"]
    replies_to = {}
    for m in messages:
        if m["role"] == "user":
            current = m["id"]
            replies_to[current] = 0
        elif m["role"] == "bot":
            replies_to[current] += 1
    assert all(count >= 1 for count in replies_to.values()), "a message went unanswered"
    assert len({u["text"] + str(u["id"]) for u in users}) == len(users)


@pytest.mark.parametrize("part", ["rasa", "actions"])
def test_a_killed_engine_gives_an_honest_reply_within_5_s_and_is_restarted(stack: Stack, api: httpx.Client,
                                                                         part: str) -> None:
    talent = Talent(api)
    assert talent.say("How do I get a personnummer?")["replies"][0]["meta"]["outcome"] == "answer"
    kill_tree(process_of(stack, part))
    started = time.monotonic()
    reply = talent.say("How do I open a bank account?")
    assert time.monotonic() - started < 5
    assert reply["replies"][0]["meta"]["outcome"] == "fallback"
    assert "112" in reply["replies"][0]["text"] and reply["replies"][0]["buttons"]
    _wait_until_answering(talent)
    _answered_once_in_order(talent)


def test_a_gateway_restarted_with_messages_in_flight_loses_and_duplicates_nothing(stack: Stack,
                                                                                api: httpx.Client) -> None:
    talents = [Talent(api) for _ in range(4)]
    ids = {t.id: str(uuid.uuid4()) for t in talents}

    def send(talent: Talent) -> int:
        try:
            return api.post(f"/api/v1/conversations/{talent.id}/messages", headers=talent.headers,
                            json={"text": "Do I need a personnummer for a bank account?",
                                  "client_message_id": ids[talent.id]}, timeout=30).status_code
        except httpx.HTTPError:
            return 0

    with concurrent.futures.ThreadPoolExecutor(len(talents)) as pool:
        futures = [pool.submit(send, t) for t in talents]
        time.sleep(0.05)
        os.kill(process_of(stack, "gateway"), signal.SIGKILL)
        [f.result() for f in futures]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{stack.url}/api/v1/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.5)
    for talent in talents:
        # The client retries with the same id, as the widget does after a network error.
        retried = talent.say("Do I need a personnummer for a bank account?", client_message_id=ids[talent.id])
        assert retried["replies"], "the retried message is answered"
        messages = talent.transcript()["messages"]
        assert [m["role"] for m in messages].count("user") == 1, "nothing stored twice"
        assert messages[0]["role"] == "user" and all(m["role"] == "bot" for m in messages[1:])
        assert len(messages) == 1 + len(retried["replies"]), "answered exactly once"


def test_three_messages_50_ms_apart_keep_their_order_and_each_gets_its_reply(api: httpx.Client) -> None:
    talent = Talent(api)
    texts = ["Hello", "How do I get BankID?", "Thanks!"]

    def send(text: str) -> dict:
        return talent.say(text)

    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        futures = []
        for text in texts:
            futures.append(pool.submit(send, text))
            time.sleep(0.05)
        results = [f.result() for f in futures]
    assert [r["replies"][0]["meta"]["intent"] for r in results] == ["greet", "ask_question", "thanks"]
    messages = talent.transcript()["messages"]
    assert [m["text"] for m in messages if m["role"] == "user"] == texts
    roles = [m["role"] for m in messages]
    assert roles == ["user", "bot", "user", "bot", "user", "bot"]
