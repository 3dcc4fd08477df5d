"""The documented errors of the conversation API, against the running product."""
from __future__ import annotations

import httpx
import pytest

from tests.conftest import Talent

pytestmark = pytest.mark.e2e


def test_malformed_json_is_400(api: httpx.Client, talent: Talent) -> None:
    response = api.post(f"/api/v1/conversations/{talent.id}/messages", content=b"{not json",
                        headers={**talent.headers, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["detail"].endswith(".")


def test_missing_text_is_422(api: httpx.Client, talent: Talent) -> None:
    response = api.post(f"/api/v1/conversations/{talent.id}/messages", json={"txt": "hi"}, headers=talent.headers)
    assert response.status_code == 422
    assert "text" in response.json()["detail"]


def test_oversized_message_is_413(api: httpx.Client, talent: Talent) -> None:
    response = api.post(f"/api/v1/conversations/{talent.id}/messages", json={"text": "a" * 5000},
                        headers=talent.headers)
    assert response.status_code == 413
    assert "characters" in response.json()["detail"]
    huge = api.post(f"/api/v1/conversations/{talent.id}/messages", json={"text": "a" * 100_000},
                    headers=talent.headers)
    assert huge.status_code == 413
    assert len(talent.transcript()["messages"]) == 0, "a refused message is not stored"


def test_missing_token_is_401_and_wrong_token_403(api: httpx.Client, talent: Talent) -> None:
    url = f"/api/v1/conversations/{talent.id}/messages"
    assert api.post(url, json={"text": "hi"}).status_code == 401
    other = Talent(api)
    assert api.post(url, json={"text": "hi"}, headers=other.headers).status_code == 403
    assert api.get(url, headers=other.headers).status_code == 403


def test_unknown_conversation_is_404(api: httpx.Client, talent: Talent) -> None:
    response = api.get("/api/v1/conversations/no-such-id/messages", headers=talent.headers)
    assert response.status_code == 404
    assert "no-such-id" in response.json()["detail"]


def test_unsupported_language_is_422(api: httpx.Client) -> None:
    response = api.post("/api/v1/conversations", json={"language": "xx"})
    assert response.status_code == 422
    assert "language" in response.json()["detail"]
