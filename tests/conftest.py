"""Fixtures shared by the tests: the real stack for end-to-end tests, and a conversation client."""
from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest

from tests.stack import Stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Rasa with the trained model, the action server and the gateway, as `make run` starts them."""
    # Parallel checkouts or sessions on one machine each pick an offset so their ports do not collide.
    offset = int(os.environ.get("IHS_TEST_PORT_OFFSET", "0"))
    running = Stack(tmp_path_factory.mktemp("stack"), port=18000 + offset, rasa_port=15005 + offset,
                    actions_port=15055 + offset)
    running.start()
    yield running
    running.stop()


class Talent:
    """A conversation held through the public API, as the widget holds it."""

    def __init__(self, client: httpx.Client, language: str | None = None) -> None:
        self.client = client
        body = {"channel": "web"} | ({"language": language} if language else {})
        created = client.post("/api/v1/conversations", json=body)
        assert created.status_code == 201, created.text
        self.id = created.json()["conversation_id"]
        self.token = created.json()["token"]
        self.headers = {"Authorization": f"Bearer {self.token}"}

    def say(self, text: str, **extra: object) -> dict:
        response = self.client.post(f"/api/v1/conversations/{self.id}/messages", headers=self.headers,
                                    json={"text": text, **extra})
        assert response.status_code == 200, response.text
        return response.json()

    def transcript(self) -> dict:
        response = self.client.get(f"/api/v1/conversations/{self.id}/messages", headers=self.headers)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def api(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.url, timeout=30) as client:
        yield client


@pytest.fixture
def talent(api: httpx.Client) -> Talent:
    return Talent(api)
