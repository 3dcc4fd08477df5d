"""The conversation API in-process, with Rasa out of reach: errors and the honest unavailable reply."""
from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from bot.gateway.main import create_app
from bot.gateway.settings import GatewaySettings


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = GatewaySettings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'g.db'}",
                               rasa_url=f"http://127.0.0.1:{_closed_port()}", rasa_timeout_s=1.0)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _conversation(client: TestClient, **body: object) -> tuple[str, dict]:
    created = client.post("/api/v1/conversations", json=body)
    assert created.status_code == 201
    data = created.json()
    return data["conversation_id"], {"Authorization": f"Bearer {data['token']}"}


def test_rasa_down_gives_an_honest_reply_in_the_users_language_and_keeps_the_message(client: TestClient) -> None:
    cid, auth = _conversation(client)
    response = client.post(f"/api/v1/conversations/{cid}/messages", headers=auth,
                           json={"text": "Hur ansöker jag om ett personnummer hos Skatteverket?"})
    assert response.status_code == 200
    body = response.json()
    assert body["language"] == "sv"
    reply = body["replies"][0]
    assert reply["meta"]["outcome"] == "fallback"
    assert "112" in reply["text"]
    assert reply["buttons"][0]["payload"] == "/human_handoff"
    roles = [m["role"] for m in client.get(f"/api/v1/conversations/{cid}/messages", headers=auth).json()["messages"]]
    assert roles == ["user", "bot"]


def test_created_conversation_with_a_language_keeps_it(client: TestClient) -> None:
    cid, auth = _conversation(client, language="de")
    body = client.post(f"/api/v1/conversations/{cid}/messages", headers=auth,
                       json={"text": "How long does registration take?"}).json()
    assert body["language"] == "de"


def test_blank_text_is_422_with_one_sentence(client: TestClient) -> None:
    cid, auth = _conversation(client)
    response = client.post(f"/api/v1/conversations/{cid}/messages", headers=auth, json={"text": "   "})
    assert response.status_code == 422
    assert response.json() == {"detail": "The field 'text' is invalid: text must not be blank."}


def test_unknown_field_is_422(client: TestClient) -> None:
    response = client.post("/api/v1/conversations", json={"colour": "blue"})
    assert response.status_code == 422
    assert "colour" in response.json()["detail"]


def test_wrong_scheme_is_401(client: TestClient) -> None:
    cid, _ = _conversation(client)
    response = client.get(f"/api/v1/conversations/{cid}/messages", headers={"Authorization": "Basic abc"})
    assert response.status_code == 401


def test_websocket_with_a_wrong_token_is_closed(client: TestClient) -> None:
    from starlette.websockets import WebSocketDisconnect

    cid, _ = _conversation(client)
    with pytest.raises(WebSocketDisconnect) as closed:
        with client.websocket_connect(f"/api/v1/conversations/{cid}/ws?token=wrong") as ws:
            ws.receive_json()
    assert closed.value.code == 4403


def test_openapi_page_and_demo_page_are_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    assert "/api/v1/conversations/{conversation_id}/messages" in schema["paths"]
    page = client.get("/")
    assert page.status_code == 200 and "/widget.js" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "unsafe-inline" not in page.headers["content-security-policy"]


def test_every_response_carries_security_headers(client: TestClient) -> None:
    for path in ("/", "/console", "/widget.js", "/api/v1/conversations/x/messages"):
        response = client.get(path)
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["referrer-policy"] == "no-referrer", path
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], path


def test_production_requires_the_rasa_token() -> None:
    with pytest.raises(ValueError, match="IHS_RASA_TOKEN"):
        GatewaySettings(environment="production", rasa_token=None)


def test_over_the_rate_limit_a_conversation_gets_429_with_retry_after(tmp_path: Path) -> None:
    settings = GatewaySettings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'g.db'}",
                               rasa_url=f"http://127.0.0.1:{_closed_port()}", rasa_timeout_s=0.5,
                               rate_per_conversation="2/minute")
    with TestClient(create_app(settings)) as client:
        cid, auth = _conversation(client)
        for _ in range(2):
            assert client.post(f"/api/v1/conversations/{cid}/messages", headers=auth,
                               json={"text": "hello"}).status_code == 200
        refused = client.post(f"/api/v1/conversations/{cid}/messages", headers=auth, json={"text": "hello"})
        assert refused.status_code == 429
        assert 0 < int(refused.headers["Retry-After"]) <= 60
        assert "conversation" in refused.json()["detail"]
        other, other_auth = _conversation(client)
        assert client.post(f"/api/v1/conversations/{other}/messages", headers=other_auth,
                           json={"text": "hello"}).status_code == 200, "other conversations are not held up"


def test_too_many_new_conversations_from_one_client_get_429(tmp_path: Path) -> None:
    settings = GatewaySettings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'g.db'}",
                               rasa_url=f"http://127.0.0.1:{_closed_port()}", rate_per_client="3/minute")
    with TestClient(create_app(settings)) as client:
        codes = [client.post("/api/v1/conversations", json={}).status_code for _ in range(4)]
    assert codes == [201, 201, 201, 429]


def test_websocket_from_a_foreign_origin_is_refused_and_an_oversized_frame_closes_it(client: TestClient) -> None:
    cid, auth = _conversation(client)
    token = auth["Authorization"].split()[1]
    with pytest.raises(WebSocketDisconnect) as foreign, client.websocket_connect(
            f"/api/v1/conversations/{cid}/ws?token={token}", headers={"Origin": "https://evil.example"}) as ws:
        ws.receive_json()
    assert foreign.value.code == 4403
    with pytest.raises(WebSocketDisconnect) as too_big, client.websocket_connect(
            f"/api/v1/conversations/{cid}/ws?token={token}", headers={"Origin": "http://testserver"}) as ws:
        ws.send_text("x" * 20_000)
        ws.receive_json()
    assert too_big.value.code == 1009
