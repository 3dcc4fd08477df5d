"""The agent API in-process: login, session cookie, CSRF, throttling, idle timeout, roles."""
from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.gateway import agents
from bot.gateway.main import create_app
from bot.gateway.settings import GatewaySettings
from tests.asyncio_thread import run as run_async

PASSWORD = "a long enough password"


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GatewaySettings:
    url = f"sqlite+aiosqlite:///{tmp_path / 'g.db'}"
    monkeypatch.setenv("IHS_DATABASE_URL", url)
    return GatewaySettings(database_url=url, rasa_url="http://127.0.0.1:9", rasa_timeout_s=0.5)


@pytest.fixture
def client(settings: GatewaySettings) -> Iterator[TestClient]:
    run_async(agents._save("ada", PASSWORD, "supervisor", "Ada"))
    run_async(agents._save("ben", PASSWORD, "agent", None))
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _login(client: TestClient, username: str = "ben", password: str = PASSWORD) -> str:
    response = client.post("/api/v1/agent/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return response.json()["csrf_token"]


def test_login_sets_an_httponly_strict_cookie_and_returns_the_csrf_token(client: TestClient) -> None:
    response = client.post("/api/v1/agent/login", json={"username": "ada", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["agent"] == {"id": 1, "username": "ada", "display_name": "Ada", "role": "supervisor",
                             "active": True}
    session_cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("ihs_agent="))
    assert "HttpOnly" in session_cookie and "SameSite=strict" in session_cookie
    assert client.get("/api/v1/agent/me").json()["csrf_token"] == body["csrf_token"]


def test_wrong_password_and_unknown_user_get_the_same_401(client: TestClient) -> None:
    wrong = client.post("/api/v1/agent/login", json={"username": "ben", "password": "nope nope nope"})
    unknown = client.post("/api/v1/agent/login", json={"username": "nobody", "password": "nope nope nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def test_without_a_session_every_agent_route_is_401(client: TestClient) -> None:
    for method, path in [("get", "queue"), ("get", "me"), ("get", "tickets"), ("get", "conversations/x"),
                         ("post", "conversations/x/claim"), ("post", "conversations/x/close"),
                         ("get", "agents"), ("get", "canned")]:
        assert getattr(client, method)(f"/api/v1/agent/{path}").status_code == 401, path


def test_changes_need_the_csrf_header(client: TestClient) -> None:
    csrf = _login(client)
    assert client.post("/api/v1/agent/conversations/x/claim").status_code == 403
    assert client.post("/api/v1/agent/conversations/x/claim", headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert client.post("/api/v1/agent/conversations/x/claim", headers={"X-CSRF-Token": csrf}).status_code == 404


def test_repeated_failed_logins_are_throttled_even_with_the_right_password_after(client: TestClient) -> None:
    for _ in range(5):
        assert client.post("/api/v1/agent/login", json={"username": "ben", "password": "guess guess 1"}).status_code == 401
    throttled = client.post("/api/v1/agent/login", json={"username": "ben", "password": PASSWORD})
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) > 0


def test_only_supervisors_manage_agents_and_a_deactivated_agent_is_logged_out(client: TestClient) -> None:
    ben_csrf = _login(client, "ben")
    assert client.get("/api/v1/agent/agents").status_code == 403
    ben_cookies = dict(client.cookies)
    client.cookies.clear()
    ada_csrf = _login(client, "ada")
    created = client.post("/api/v1/agent/agents", headers={"X-CSRF-Token": ada_csrf},
                          json={"username": "cleo", "display_name": "Cleo", "password": PASSWORD, "role": "agent"})
    assert created.status_code == 201 and created.json()["username"] == "cleo"
    short = client.post("/api/v1/agent/agents", headers={"X-CSRF-Token": ada_csrf},
                        json={"username": "dan", "password": "short", "role": "agent"})
    assert short.status_code == 422 and "password" in short.json()["detail"]
    names = [a["username"] for a in client.get("/api/v1/agent/agents").json()["agents"]]
    assert names == ["ada", "ben", "cleo"]
    assert client.post("/api/v1/agent/agents/ben/deactivate", headers={"X-CSRF-Token": ada_csrf}).status_code == 200
    client.cookies.clear()
    client.cookies.update(ben_cookies)
    assert client.get("/api/v1/agent/queue", headers={"X-CSRF-Token": ben_csrf}).status_code == 401
    assert client.post("/api/v1/agent/login", json={"username": "ben", "password": PASSWORD}).status_code == 401


def test_an_idle_session_expires(settings: GatewaySettings) -> None:
    run_async(agents._save("ben", PASSWORD, "agent", None))
    idle = settings.model_copy(update={"agent_idle_minutes": 0.005})  # 0.3 s
    with TestClient(create_app(idle)) as client:
        _login(client)
        assert client.get("/api/v1/agent/queue").status_code == 200
        time.sleep(0.5)
        assert client.get("/api/v1/agent/queue").status_code == 401


def test_logout_ends_the_session(client: TestClient) -> None:
    csrf = _login(client)
    cookies = dict(client.cookies)
    assert client.post("/api/v1/agent/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    client.cookies.update(cookies)
    assert client.get("/api/v1/agent/me").status_code == 401


def test_canned_replies_come_in_the_conversations_language_with_english_as_fallback(client: TestClient) -> None:
    _login(client)
    swedish = client.get("/api/v1/agent/canned", params={"language": "sv"}).json()
    assert swedish["language"] == "sv" and len(swedish["replies"]) >= 5
    unknown = client.get("/api/v1/agent/canned", params={"language": "xx"}).json()
    assert unknown["language"] == "en" and unknown["replies"]


def test_the_agent_websocket_refuses_without_a_session_and_from_a_foreign_origin(client: TestClient) -> None:
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect("/api/v1/agent/ws") as ws:
        ws.receive_json()
    assert refused.value.code == 4401
    _login(client)
    with pytest.raises(WebSocketDisconnect) as foreign, client.websocket_connect(
            "/api/v1/agent/ws", headers={"Origin": "https://evil.example"}) as ws:
        ws.receive_json()
    assert foreign.value.code == 4403


def test_an_oversized_frame_on_the_agent_websocket_closes_it(client: TestClient, settings: GatewaySettings) -> None:
    from starlette.websockets import WebSocketDisconnect

    _login(client)
    with client.websocket_connect("/api/v1/agent/ws") as ws:
        ws.send_text("typing")  # small frames are read and ignored
        ws.send_text("x" * (settings.max_body_bytes + 1))
        with pytest.raises(WebSocketDisconnect) as too_big:
            while True:
                ws.receive_json()
    assert too_big.value.code == 1009
