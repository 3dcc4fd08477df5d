"""Handoff to a person through the real stack: queue, claim, agent replies, silence of the bot, close, rating,
and the call-back ticket when the kontaktcenter is closed."""
from __future__ import annotations

import datetime as dt
import json
import socket
import subprocess
import time
from collections.abc import Iterator
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import httpx
import pytest
from websockets.sync.client import connect

from bot.bench.stack import ROOT, Stack
from tests.browser.conftest import create_agent
from tests.conftest import Talent

pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery staple"


class Agent:
    """A logged-in kontaktcenter agent using the agent API, as the console does."""

    def __init__(self, stack: Stack | SimpleNamespace, username: str, role: str = "agent", display_name: str | None = None) -> None:
        create_agent(stack, username, PASSWORD, role, display_name)
        self.client = httpx.Client(base_url=stack.url, timeout=30)
        response = self.client.post("/api/v1/agent/login", json={"username": username, "password": PASSWORD})
        assert response.status_code == 200, response.text
        self.csrf = response.json()["csrf_token"]
        self.client.headers["X-CSRF-Token"] = self.csrf

    def queue(self) -> dict:
        response = self.client.get("/api/v1/agent/queue")
        assert response.status_code == 200, response.text
        return response.json()

    def post(self, path: str, **body: object) -> httpx.Response:
        return self.client.post(f"/api/v1/agent/{path}", json=body or None)


def _queued_talent(api: httpx.Client, text: str = "Jag vill prata med en människa") -> Talent:
    talent = Talent(api)
    offer = talent.say(text)
    assert offer["handoff"]["state"] == "offered", offer
    queued = talent.say("/affirm")
    assert queued["handoff"]["state"] == "queued", queued
    return talent


def test_swedish_talent_is_taken_over_by_an_agent_and_handed_back(stack: Stack, api: httpx.Client) -> None:
    talent = _queued_talent(api)
    anna = Agent(stack, "anna", display_name="Anna")
    waiting = [item for item in anna.queue()["queued"] if item["conversation_id"] == talent.id]
    assert waiting and waiting[0]["language"] == "sv" and waiting[0]["reason"] == "human_handoff"
    assert waiting[0]["channel"] == "web"

    ws_url = stack.url.replace("http", "ws") + f"/api/v1/conversations/{talent.id}/ws?token={talent.token}"
    with connect(ws_url, open_timeout=10) as ws:
        claimed = anna.post(f"conversations/{talent.id}/claim")
        assert claimed.status_code == 200, claimed.text
        assert "Jag vill prata med en människa" in claimed.json()["summary"]
        assert anna.post(f"conversations/{talent.id}/messages", text="Hej! Jag hjälper dig.").status_code == 201
        pushed = []
        while not any(e["type"] == "message" and e["message"]["role"] == "agent" for e in pushed):
            pushed.append(json.loads(ws.recv(timeout=10)))
    agent_messages = [e["message"] for e in pushed if e["type"] == "message" and e["message"]["role"] == "agent"]
    assert agent_messages and agent_messages[0]["text"] == "Hej! Jag hjälper dig."
    assert agent_messages[0]["meta"]["agent"] == "Anna"
    assert {"type": "handoff", "state": "active"} in pushed

    silent = talent.say("Tack, mitt personnummer är 811228-9874")
    assert silent["handoff"]["state"] == "active"
    assert all(r["meta"]["intent"] == "pii_warning" for r in silent["replies"]), "the bot must stay silent"
    detail = anna.client.get(f"/api/v1/agent/conversations/{talent.id}").json()
    seen = [m["text"] for m in detail["messages"] if m["role"] == "user"]
    assert "Tack, mitt personnummer är [personnummer]" in seen
    assert "811228-9874" not in json.dumps(detail)

    assert anna.post(f"conversations/{talent.id}/notes", text="Asked about her own case").status_code == 201
    closed = anna.post(f"conversations/{talent.id}/close")
    assert closed.status_code == 200 and closed.json()["conversation"]["state"] == "closed"
    transcript = talent.transcript()
    assert transcript["handoff"]["state"] == "closed"
    assert "Asked about her own case" not in json.dumps(transcript)
    rating = transcript["messages"][-1]
    assert rating["meta"]["intent"] == "rating_request"
    assert [b["payload"] for b in rating["buttons"]] == [f"/rate {n}" for n in range(1, 6)]

    rated = talent.say("/rate 5")
    assert rated["replies"][0]["meta"]["intent"] == "rating" and rated["handoff"]["state"] == "none"
    answered = talent.say("Hur får jag ett personnummer?")
    assert answered["replies"][0]["meta"]["outcome"] == "answer"
    assert answered["replies"][0]["meta"]["topic"] == "personnummer"


def test_agent_requests_are_refused_without_a_session_or_for_anothers_conversation(
        stack: Stack, api: httpx.Client) -> None:
    assert api.get("/api/v1/agent/queue").status_code == 401
    assert api.post("/api/v1/agent/conversations/x/claim").status_code == 401
    talent = _queued_talent(api, "I want to speak to a human")
    bo, cai = Agent(stack, "bo"), Agent(stack, "cai")
    assert bo.post(f"conversations/{talent.id}/claim").status_code == 200
    assert cai.post(f"conversations/{talent.id}/claim").status_code == 409
    assert cai.post(f"conversations/{talent.id}/messages", text="hi").status_code == 403
    assert cai.client.get(f"/api/v1/agent/conversations/{talent.id}").status_code == 403
    assert cai.post(f"conversations/{talent.id}/close").status_code == 403
    no_csrf = httpx.post(f"{stack.url}/api/v1/agent/conversations/{talent.id}/messages",
                         json={"text": "hi"}, cookies=bo.client.cookies)
    assert no_csrf.status_code == 403
    assert all(m["role"] != "agent" for m in talent.transcript()["messages"])


def test_transfer_hands_the_conversation_to_another_agent(stack: Stack, api: httpx.Client) -> None:
    talent = _queued_talent(api, "Can I talk to a case worker?")
    dana, emil = Agent(stack, "dana"), Agent(stack, "emil", display_name="Emil")
    assert dana.post(f"conversations/{talent.id}/claim").status_code == 200
    moved = dana.post(f"conversations/{talent.id}/transfer", username="emil")
    assert moved.status_code == 200, moved.text
    assert dana.post(f"conversations/{talent.id}/messages", text="still me?").status_code == 403
    assert emil.post(f"conversations/{talent.id}/messages", text="Emil here").status_code == 201
    assert talent.transcript()["messages"][-1]["text"] == "Emil here"


def test_queue_position_and_leaving_the_queue(api: httpx.Client) -> None:
    first = _queued_talent(api, "I want to talk to a person")
    second = Talent(api)
    second.say("I want to talk to a person")
    queued = second.say("/affirm")
    assert queued["handoff"]["position"] >= 2 and queued["handoff"]["wait_minutes"] >= 1
    assert "/handoff_cancel" in [b["payload"] for r in queued["replies"] for b in r["buttons"]]
    waiting = first.say("Hello? Is anyone there?")
    assert waiting["replies"][0]["meta"]["intent"] == "handoff_waiting"
    left = second.say("/handoff_cancel")
    assert left["handoff"]["state"] == "none"
    answered = second.say("How do I get BankID?")
    assert answered["replies"][0]["meta"]["outcome"] == "answer", "the bot answers again after leaving the queue"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def closed_gateway(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    """A second gateway on the same Rasa, with a store of its own, whose kontaktcenter is open only on
    another weekday."""
    today = dt.datetime.now(ZoneInfo("Europe/Stockholm")).weekday()
    other_day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[(today + 3) % 7]
    port = _free_port()
    env = {**stack.env, "IHS_PORT": str(port), "IHS_HANDOFF_HOURS": f"{other_day} 09:00-10:00",
           "IHS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('closed') / 'gateway.db'}"}
    log = tmp_path_factory.mktemp("closed-log") / "gateway.log"
    with log.open("wb") as out:
        process = subprocess.Popen([str(ROOT / ".venv" / "bin" / "python"), "-m", "bot.gateway"], cwd=ROOT,
                                   env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=2).json().get("ready"):
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            raise RuntimeError(f"the second gateway did not start:\n{log.read_text()}")
        yield SimpleNamespace(url=url, env=env)
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_outside_opening_hours_the_talent_can_leave_a_call_back_ticket(closed_gateway: SimpleNamespace) -> None:
    with httpx.Client(base_url=closed_gateway.url, timeout=30) as client:
        talent = Talent(client)
        assert talent.say("Kan jag få prata med en handläggare?")["handoff"]["state"] == "offered"
        closed = talent.say("/affirm")
        assert closed["handoff"]["state"] == "none"
        assert [r["meta"]["intent"] for r in closed["replies"]] == ["ticket_offer"]
        offer = closed["replies"][0]
        assert [b["payload"] for b in offer["buttons"]] == ["/ticket_consent", "/ticket_cancel"]
        assert talent.say("/ticket_consent")["replies"][0]["meta"]["intent"] == "ticket_email"
        wrong = talent.say("not an address")
        assert wrong["replies"][0]["meta"]["intent"] == "ticket_email", "a bad address is asked again"
        assert talent.say("talent@example.org")["replies"][0]["meta"]["intent"] == "ticket_question"
        done = talent.say("Jag väntar på mitt uppehållstillstånd sedan fyra månader, mitt nummer är 811228-9874")
        assert done["replies"][0]["meta"]["intent"] == "ticket_created"
        assert "talent@example.org" in done["replies"][0]["text"]
        assert talent.say("Hur får jag BankID?")["replies"][0]["meta"]["outcome"] == "answer"

    agent = Agent(closed_gateway, "fia")
    tickets = agent.client.get("/api/v1/agent/tickets").json()["tickets"]
    mine = [t for t in tickets if t["conversation_id"] == talent.id]
    assert len(mine) == 1 and mine[0]["email"] == "talent@example.org" and mine[0]["status"] == "open"
    assert mine[0]["language"] == "sv"
    assert "[personnummer]" in mine[0]["question"] and "811228-9874" not in mine[0]["question"]
    assert agent.post(f"tickets/{mine[0]['id']}/done").json()["status"] == "done"
