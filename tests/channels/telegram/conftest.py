"""Telegram users talking to the real stack through its webhook; the Bot API is the local fake."""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import httpx
import pytest

from bot.bench.stack import Stack
from tests.channels.telegram.fake_bot_api import FakeBotApi
from tests.channels.telegram.talent import TelegramTalent


@pytest.fixture(scope="session")
def webhook_client(stack: Stack, telegram_api: FakeBotApi) -> Iterator[httpx.Client]:
    # The channel connects in the background; updates are refused with 503 until setWebhook is done.
    telegram_api.wait_for("setWebhook", timeout=60, where=lambda c: c.params.get("url", "").startswith(stack.url))
    with httpx.Client(base_url=stack.url, timeout=60) as client:
        yield client


@pytest.fixture
def tg(stack: Stack, webhook_client: httpx.Client, telegram_api: FakeBotApi) -> TelegramTalent:
    """A talent whose Telegram app is in English."""
    return TelegramTalent(webhook_client, telegram_api, stack.env["IHS_TELEGRAM_SECRET_TOKEN"])


@pytest.fixture
def new_talent(stack: Stack, webhook_client: httpx.Client, telegram_api: FakeBotApi):
    def make(language_code: str | None = "en") -> TelegramTalent:
        return TelegramTalent(webhook_client, telegram_api, stack.env["IHS_TELEGRAM_SECRET_TOKEN"], language_code)
    return make


def query(stack: Stack, sql: str, *params: object) -> list[tuple]:
    """Rows from the stack's own store (read-only), to see what the gateway kept."""
    path = stack.env["IHS_DATABASE_URL"].split(":///", 1)[1]
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        return connection.execute(sql, params).fetchall()
