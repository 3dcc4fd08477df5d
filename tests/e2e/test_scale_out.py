"""Scale-out: 2 gateways and 2 Rasa replicas on PostgreSQL and Redis hold 50 conversations with a handoff
each; one gateway is killed mid-way, and every message is still answered once, in order."""
from __future__ import annotations

import concurrent.futures
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from websockets.sync.client import connect

from tests.browser.conftest import create_agent
from tests.cluster import Cluster

pytestmark = pytest.mark.e2e
CONVERSATIONS = 50
PASSWORD = "scale out test password"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    offset = int(os.environ.get("IHS_TEST_PORT_OFFSET", "0"))
    running = Cluster(Path(tmp_path_factory.mktemp("cluster")), base_port=19000 + offset)
    running.start()
    yield running
    running.stop()


class Talent:
    """A talent whose client fails over to the other gateway when its own stops answering, as a load
    balancer does, retrying with the same client_message_id."""

    def __init__(self, cluster: Cluster, home: int) -> None:
        self.cluster, self.home = cluster, home
        created = httpx.post(f"{cluster.gateways[home]}/api/v1/conversations", json={}, timeout=30).json()
        self.id, self.token = created["conversation_id"], created["token"]
        self.sent: list[str] = []

    def say(self, text: str) -> dict:
        client_id, self.sent = str(uuid.uuid4()), [*self.sent, text]
        for attempt in range(20):
            gateway = self.cluster.gateways[self.home if attempt == 0 else 1 - self.home]
            try:
                response = httpx.post(f"{gateway}/api/v1/conversations/{self.id}/messages", timeout=30,
                                      headers={"Authorization": f"Bearer {self.token}"},
                                      json={"text": text, "client_message_id": client_id})
            except httpx.HTTPError:
                time.sleep(0.5)
                continue
            if response.status_code == 200:
                return response.json()
            time.sleep(0.5)
        raise AssertionError(f"{text!r} was never answered")

    def transcript(self, gateway: str) -> list[dict]:
        response = httpx.get(f"{gateway}/api/v1/conversations/{self.id}/messages", timeout=30,
                             headers={"Authorization": f"Bearer {self.token}"})
        assert response.status_code == 200, response.text
        return response.json()["messages"]


def _first_steps(talent: Talent) -> None:
    assert talent.say("How do I get BankID?")["replies"][0]["meta"]["outcome"] == "answer"
    assert talent.say("I want to talk to a person")["handoff"]["state"] == "offered"
    assert talent.say("/affirm")["handoff"]["state"] == "queued"


def test_two_gateways_and_two_rasa_replicas_lose_nothing_when_a_gateway_dies(cluster: Cluster) -> None:
    talents = [Talent(cluster, i % 2) for i in range(CONVERSATIONS)]
    with concurrent.futures.ThreadPoolExecutor(5) as pool:
        list(pool.map(_first_steps, talents))

    create_agent(SimpleNamespace(env=cluster.env), "scale-agent", PASSWORD)
    agent = httpx.Client(base_url=cluster.gateways[1], timeout=30)
    login = agent.post("/api/v1/agent/login", json={"username": "scale-agent", "password": PASSWORD})
    agent.headers["X-CSRF-Token"] = login.json()["csrf_token"]
    queued = {item["conversation_id"] for item in agent.get("/api/v1/agent/queue").json()["queued"]}
    assert {t.id for t in talents} <= queued, "the queue is shared by both gateways"

    # Talents on gateway 0 listen there while the agent works on gateway 1: Redis carries the replies.
    watched = [t for t in talents if t.home == 0][:5]
    received: dict[str, list[str]] = {t.id: [] for t in watched}

    def listen(talent: Talent) -> None:
        url = cluster.gateways[0].replace("http", "ws") + f"/api/v1/conversations/{talent.id}/ws?token={talent.token}"
        with connect(url, open_timeout=10) as ws:
            ready.release()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not received[talent.id]:
                event = json.loads(ws.recv(timeout=60))
                if event["type"] == "message" and event["message"]["role"] == "agent":
                    received[talent.id].append(event["message"]["text"])

    ready = threading.Semaphore(0)
    listeners = [threading.Thread(target=listen, args=(t,)) for t in watched]
    for thread in listeners:
        thread.start()
    for _ in watched:
        assert ready.acquire(timeout=30)
    for talent in talents:
        assert agent.post(f"/api/v1/agent/conversations/{talent.id}/claim").status_code == 200
        assert agent.post(f"/api/v1/agent/conversations/{talent.id}/messages",
                          json={"text": f"Hello {talent.id[:8]}"}).status_code == 201
    for thread in listeners:
        thread.join(timeout=70)
    assert all(received[t.id] == [f"Hello {t.id[:8]}"] for t in watched), received

    with concurrent.futures.ThreadPoolExecutor(5) as pool:
        silent = list(pool.map(lambda t: t.say("Thank you, I have a question about my case"), talents))
    assert all(not [r for r in s["replies"] if r["role"] == "bot"] for s in silent), "the bot stays silent"
    for talent in talents:
        assert agent.post(f"/api/v1/agent/conversations/{talent.id}/close").status_code == 200

    def last_steps(talent: Talent) -> None:
        assert talent.say("/rate 5")["replies"][0]["meta"]["intent"] == "rating"
        assert talent.say("How do I get a personnummer?")["replies"][0]["meta"]["outcome"] == "answer"

    with concurrent.futures.ThreadPoolExecutor(5) as pool:
        futures = [pool.submit(last_steps, t) for t in talents]
        time.sleep(1.0)
        cluster.kill("gateway0")  # mid-flight: its talents fail over to gateway 1
        [f.result() for f in futures]

    for talent in talents:
        messages = talent.transcript(cluster.gateways[1])
        users = [m["text"] for m in messages if m["role"] == "user"]
        assert users == talent.sent, f"{talent.id}: stored {users}, sent {talent.sent}"
        answered_by_bot = [text for text in talent.sent if not text.startswith("Thank you")]
        for text in answered_by_bot:
            index = next(i for i, m in enumerate(messages) if m["role"] == "user" and m["text"] == text)
            assert messages[index + 1]["role"] in ("bot", "system"), f"{talent.id}: {text!r} unanswered"
        turns: list[list[dict]] = []
        for m in messages:
            if m["role"] == "user":
                turns.append([])
            elif turns:
                turns[-1].append(m)
        for turn in turns:
            answers = [m for m in turn if (m.get("meta") or {}).get("outcome") == "answer"]
            assert len(answers) <= 1, f"{talent.id}: a message was answered twice"

    cluster.start_gateway(0)  # the supervisor's job: the restarted replica serves the same conversations
    cluster.wait_healthy(0)
    talent = talents[0]
    again = httpx.get(f"{cluster.gateways[0]}/api/v1/conversations/{talent.id}/messages", timeout=30,
                      headers={"Authorization": f"Bearer {talent.token}"})
    assert again.status_code == 200 and len(again.json()["messages"]) == len(talent.transcript(cluster.gateways[1]))
