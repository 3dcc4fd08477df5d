"""Fixtures shared by the tests: the real stack for end-to-end tests, and a conversation client."""
from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator

import httpx
import pytest

from bot.bench.stack import Stack
from tests.channels.telegram.fake_bot_api import FakeBotApi


@pytest.fixture(scope="session")
def telegram_api() -> Iterator[FakeBotApi]:
    """A local server speaking the Telegram Bot API; the stack's Telegram channel talks to it."""
    server = FakeBotApi()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, telegram_api: FakeBotApi) -> Iterator[Stack]:
    """Rasa with the trained model, the action server and the gateway, as `make run` starts them."""
    # Parallel checkouts or sessions on one machine each pick an offset so their ports do not collide.
    offset = int(os.environ.get("IHS_TEST_PORT_OFFSET", "0"))
    port = 18000 + offset
    telegram = {"IHS_TELEGRAM_TOKEN": telegram_api.token, "IHS_TELEGRAM_BASE_URL": telegram_api.base_url,
                "IHS_TELEGRAM_MODE": "webhook", "IHS_TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/webhook",
                "IHS_TELEGRAM_SECRET_TOKEN": secrets.token_urlsafe(24)}
    # The widget's browser tests embed it on a page of another origin, served on this port.
    widget_host = {"IHS_ALLOWED_ORIGINS": json.dumps([f"http://localhost:{18090 + offset}"])}
    running = Stack(tmp_path_factory.mktemp("stack"), port=port, rasa_port=15005 + offset,
                    actions_port=15055 + offset, extra_env=telegram | widget_host)
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
