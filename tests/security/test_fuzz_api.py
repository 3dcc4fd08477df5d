"""Schemathesis against the gateway's OpenAPI spec, in-process, with Rasa out of reach.

Every operation of /openapi.json gets generated requests, valid and invalid ones. Most are made on behalf of
someone who may make them: the conversation's own Bearer token, or an agent's session cookie with the
X-CSRF-Token header, on a real conversation in a real handoff state (queued, active, closed…), a real ticket
or agent account. So the authorised paths are fuzzed, not only the 401s and 404s; the rest go with another
conversation's token, without the CSRF header, as an agent instead of a supervisor, or as generated.

Checked on every response: never a 500; only documented status codes; bodies, headers and content types as
documented; invalid data is refused. (`positive_data_acceptance` is left out: the account rules, e.g. the
username pattern and the 12-character password minimum, are not in the schema.)
"""
from __future__ import annotations

import contextlib
import datetime as dt
import socket
import sqlite3
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bot.gateway import agents
from bot.gateway.main import create_app
from bot.gateway.ratelimit import LoginThrottle, make_storage
from bot.gateway.settings import GatewaySettings
from tests.asyncio_thread import run as run_async

PASSWORD = "a long enough password"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance, negative_data_rejection]
# Examples per operation (fewer where there is little to vary): about 600 requests over 23 operations.
EXAMPLES = 30

CASES: Counter[str] = Counter()
STATUSES: dict[str, Counter[int]] = {}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _now() -> str:
    # How SQLAlchemy keeps a DateTime in SQLite: naive, in UTC.
    return dt.datetime.now(dt.UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


class _Current:
    """The ASGI app the schema calls: it forwards to the gateway that the module's fixture built."""

    target: FastAPI | None = None

    async def __call__(self, scope: dict, receive: object, send: object) -> None:
        assert self.target is not None, "the gateway fixture is not active"
        await self.target(scope, receive, send)


# The spec is needed when the tests are collected; building an app reads no file and opens no database.
# (schemathesis.pytest.from_fixture would avoid this, but with pytest 9 it fails on Node._nodeid.)
APP = _Current()
_CONFIG = schemathesis.Config.from_dict({"checks": {"negative_data_rejection": {
    # Schemathesis' default list, plus 413: an oversized body is refused before it is parsed.
    "expected-statuses": ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429",
                          "5xx"]}}})
schema = schemathesis.openapi.from_dict(create_app(GatewaySettings(environment="development")).openapi(),
                                      config=_CONFIG)
schema.app = APP
OPERATIONS = sum(1 for _ in schema.get_all_operations())


@dataclass
class Gateway:
    """The app under test, and what the fuzzer needs to act as a talent or an agent in it."""

    app: FastAPI
    db: Path
    agent_ids: dict[str, int]
    logins: dict[str, tuple[dict, str]] = field(default_factory=dict)
    used: tuple[str, str] | None = None  # a conversation with messages: (id, token)

    @staticmethod
    def client() -> asgi.ASGIClient:
        # Schemathesis' own client: the same event loop as the app's lifespan and the fuzzed requests.
        return asgi.get_client(APP)

    def sql(self, statement: str, *args: object) -> int | None:
        with sqlite3.connect(self.db, timeout=30) as connection:
            return connection.execute(statement, args).lastrowid

    def conversation(self, state: str = "none", agent: str | None = None, *, talk: bool = False) -> tuple[str, str]:
        """A new conversation (id, token), put in the handoff `state` with `agent`; `talk`: the talent wrote."""
        with self.client() as client:
            created = client.post("/api/v1/conversations", json={})
            assert created.status_code == 201, created.text
            cid, token = created.json()["conversation_id"], created.json()["token"]
            if talk:
                said = client.post(f"/api/v1/conversations/{cid}/messages", headers={"Authorization": f"Bearer {token}"},
                                   json={"text": "Hur får jag personnummer? Mitt samordningsnummer är 701063-2391"})
                assert said.status_code == 200, said.text
        if state != "none":
            self.sql("UPDATE conversations SET handoff_state = ?, queued_at = ?, agent_id = ? WHERE id = ?",
                     state, _now() if state == "queued" else None, self.agent_ids.get(agent or ""), cid)
        return cid, token

    def conversation_with_messages(self) -> tuple[str, str]:
        if self.used is None:
            cid, token = self.conversation()
            with self.client() as client:
                for text in ("Hur får jag ett personnummer?", "mitt nummer är 811228-9874", "/human_handoff"):
                    answered = client.post(f"/api/v1/conversations/{cid}/messages", json={"text": text},
                                           headers={"Authorization": f"Bearer {token}"})
                    assert answered.status_code == 200, answered.text
            self.used = (cid, token)
        return self.used

    def bot_message_id(self, cid: str, token: str) -> int | None:
        with self.client() as client:
            messages = client.get(f"/api/v1/conversations/{cid}/messages",
                                  headers={"Authorization": f"Bearer {token}"}).json().get("messages", [])
        return next((m["id"] for m in messages if m["role"] == "bot"), None)

    def ticket(self) -> int | None:
        cid, _ = self.conversation()
        return self.sql("INSERT INTO tickets (conversation_id, language, channel, question, email, consent_at, "
                        "status, created_at) VALUES (?, 'sv', 'web', 'Ring mig på 070-123 45 67', "
                        "'eva@example.se', ?, 'open', ?)", cid, _now(), _now())

    def throwaway_agent(self) -> str:
        username = f"tmp-{uuid.uuid4().hex[:8]}"
        self.sql("INSERT INTO agents (username, display_name, password_hash, role, active, created_at) "
                 "VALUES (?, ?, '!', 'agent', 1, ?)", username, username, _now())
        return username

    def login(self, username: str, *, fresh: bool = False) -> tuple[dict, str]:
        """(cookies, CSRF token) of a session of `username`: a new one if asked for or if the last one ended."""
        if not fresh and username in self.logins:
            cookies, csrf = self.logins[username]
            with self.client() as client:
                if client.get("/api/v1/agent/me", cookies=cookies).status_code == 200:
                    return cookies, csrf
        # The fuzzer's failed logins throttle the test client's address; the fixture's own logins must pass.
        self.app.state.login_throttle = LoginThrottle(make_storage(None))
        with self.client() as client:
            response = client.post("/api/v1/agent/login", json={"username": username, "password": PASSWORD})
            assert response.status_code == 200, response.text
            login = (dict(client.cookies), response.json()["csrf_token"])
        if not fresh:
            self.logins[username] = login
        return login


def _agent_id(db: Path, username: str) -> int:
    with sqlite3.connect(db) as connection:
        return connection.execute("SELECT id FROM agents WHERE username = ?", (username,)).fetchone()[0]


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Iterator[Gateway]:
    db = tmp_path_factory.mktemp("fuzz_api") / "g.db"
    url = f"sqlite+aiosqlite:///{db}"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("IHS_DATABASE_URL", url)
        run_async(agents._save("ada", PASSWORD, "supervisor", "Ada"))
        run_async(agents._save("ben", PASSWORD, "agent", "Ben"))
    APP.target = create_app(GatewaySettings(
        database_url=url, rasa_url=f"http://127.0.0.1:{_closed_port()}", rasa_timeout_s=0.3,
        rate_per_client="100000/minute", rate_per_conversation="100000/minute"))
    gateway = Gateway(APP.target, db, {name: _agent_id(db, name) for name in ("ada", "ben")})
    # Schemathesis' client starts the app's lifespan (migrations, Rasa client) on its event loop thread;
    # it stays up until shutdown_lifespans.
    with gateway.client():
        pass
    started = time.monotonic()
    try:
        yield gateway
    finally:
        asgi.shutdown_lifespans()
        APP.target = None
        _report(pytestconfig, time.monotonic() - started)


def _report(pytestconfig: pytest.Config, seconds: float) -> None:
    lines = [f"schemathesis: {sum(CASES.values())} generated requests over {len(CASES)} operations in {seconds:.0f} s"]
    lines += [f"  {n:4d}  {label}  statuses {dict(sorted(STATUSES[label].items()))}"
              for label, n in sorted(CASES.items())]
    capture = pytestconfig.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        print("\n" + "\n".join(lines))


def _as_someone(gateway: Gateway, case: schemathesis.Case, how: int) -> None:
    """Send the generated request on behalf of someone who may (mostly), or of someone who may not."""
    path = case.operation.path
    params = dict(case.path_parameters or {})
    if path.startswith("/api/v1/conversations/"):
        # 0-6: the conversation's own token; 7: another conversation's token; 8-9: as generated.
        if how >= 8:
            return
        if case.method == "DELETE" or how % 2:
            cid, token = gateway.conversation()
        else:
            cid, token = gateway.conversation_with_messages()
        if how == 7:
            token = gateway.conversation()[1]
        params["conversation_id"] = cid
        case.path_parameters = params
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
        if path.endswith("/feedback") and how < 4 and (message_id := gateway.bot_message_id(cid, token)):
            # 0-1: a valid vote on one of the bot's messages; 2-3: that message with the generated vote.
            if how < 2:
                case.body = {"message_id": message_id, "value": ("up", "down")[how]}
            elif isinstance(case.body, dict):
                case.body = {**case.body, "message_id": message_id}
        return
    if not path.startswith("/api/v1/agent/"):
        return
    if path == "/api/v1/agent/login":
        if how < 3:
            case.body = {"username": ("ada", "ben")[how % 2], "password": PASSWORD}
        return
    # 0-5: the supervisor; 6-7: an agent; 8: the supervisor without the CSRF header; 9: as generated.
    if how == 9:
        return
    username = "ben" if how in (6, 7) else "ada"
    cookies, csrf = gateway.login(username, fresh=path.endswith("/logout"))
    case.cookies = {**(case.cookies or {}), **cookies}
    case.headers = {**(case.headers or {}), **({} if how == 8 else {"X-CSRF-Token": csrf})}
    if "conversation_id" in params and how < 8:
        first = ("queued", None) if path.endswith("/claim") else ("active", "ada")
        state, owner = [first, ("active", "ada"), ("active", "ben"), ("none", None),
                        ("closed", "ben"), ("queued", None), ("active", "ben"), ("active", "ada")][how]
        params["conversation_id"] = gateway.conversation(state, owner, talk=how % 2 == 0)[0]
    if "ticket_id" in params and how < 4:
        params["ticket_id"] = gateway.ticket()
    if "username" in params and how < 6:
        # A throwaway account, or the supervisor's own (409); never the agent the other cases log in as.
        params["username"] = gateway.throwaway_agent() if how < 4 else "ada"
    case.path_parameters = params or case.path_parameters
    # 0: a valid body whatever was generated; 1-2: valid where the generated one is often refused.
    if path.endswith(("/messages", "/notes")) and how < 3:
        case.body = {"text": "Hej! Jag heter Ada och tar över nu. <b>Välkommen</b>"}
    elif path.endswith("/transfer") and how < 3:
        case.body = {**(case.body if isinstance(case.body, dict) and how else {}), "username": ("ben", "ada")[how % 2]}
    elif path == "/api/v1/agent/agents" and how < 3:
        case.body = {**(case.body if isinstance(case.body, dict) and how else {}),
                     "username": f"fuzz-{uuid.uuid4().hex[:8]}", "password": PASSWORD}


@schema.parametrize()
# Who sends it, see _as_someone; 0 (the plainly authorised request) three times as often as the others.
@schema.given(how=st.sampled_from([0, 0, 0, *range(1, 10)]))
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error_and_responses_as_documented(case: schemathesis.Case, how: int, gateway: Gateway) -> None:
    _as_someone(gateway, case, how)
    response = case.call()
    CASES[case.operation.label] += 1
    STATUSES.setdefault(case.operation.label, Counter())[response.status_code] += 1
    case.validate_response(response, checks=CHECKS)


def test_every_operation_was_fuzzed_and_reached_past_its_checks() -> None:
    """The fuzzing above reached each operation's success path, so authorisation did not hide its code."""
    if len(CASES) < OPERATIONS:
        pytest.skip("only some operations were fuzzed in this run")
    unreached = [label for label, statuses in STATUSES.items() if not any(200 <= s < 300 for s in statuses)]
    assert not unreached, STATUSES
