"""Each Telegram update_id passes once: in the gateway's database, or in Redis across replicas.

The scenarios are coroutines run off the main thread (`tests.asyncio_thread`): the session's browser keeps
an event loop there."""
from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
import redis.asyncio as redis

from bot.channels.telegram.ledger import KEEP_UPDATE_IDS, DatabaseLedger, RedisLedger, UpdateLedger
from bot.gateway.db import make_engine, sessionmaker, upgrade
from tests.asyncio_thread import run as run_async

REDIS = os.environ.get("IHS_TEST_REDIS", "redis://127.0.0.1:6379/6")
Scenario = Callable[[list[UpdateLedger]], Awaitable[None]]


def _with_replicas(kind: str, tmp_path: Path, scenario: Scenario) -> None:
    """Runs `scenario` with two gateway replicas' ledgers over one store."""
    async def main() -> None:
        if kind == "redis":
            pair: list[UpdateLedger] = [RedisLedger(REDIS), RedisLedger(REDIS)]
            try:
                await scenario(pair)
            finally:
                for ledger in pair:
                    await ledger.close()
            return
        engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'g.db'}")
        try:
            await upgrade(engine)
            sessions = sessionmaker(engine)
            await scenario([DatabaseLedger(sessions), DatabaseLedger(sessions)])
        finally:
            await engine.dispose()

    run_async(main())


def _new_id() -> int:
    return secrets.randbelow(2**52) + 2**40


@pytest.mark.parametrize("kind", ["database", "redis"])
def test_a_redelivered_update_is_claimed_once(kind: str, tmp_path: Path) -> None:
    async def scenario(ledgers: list[UpdateLedger]) -> None:
        first, second = ledgers
        update_id = _new_id()
        assert await first.claim(update_id) is True
        assert await first.claim(update_id) is False
        assert await second.claim(update_id) is False
        assert await second.claim(update_id + 1) is True

    _with_replicas(kind, tmp_path, scenario)


@pytest.mark.parametrize("kind", ["database", "redis"])
def test_copies_arriving_together_at_two_replicas_pass_once(kind: str, tmp_path: Path) -> None:
    async def scenario(ledgers: list[UpdateLedger]) -> None:
        ids = [_new_id() for _ in range(20)]
        claims = await asyncio.gather(*(ledgers[i % 2].claim(update_id) for update_id in ids for i in range(4)))
        assert sum(claims) == len(ids)

    _with_replicas(kind, tmp_path, scenario)


def test_in_redis_a_claim_expires_when_telegram_can_no_longer_redeliver(tmp_path: Path) -> None:
    async def scenario(ledgers: list[UpdateLedger]) -> None:
        update_id = _new_id()
        await ledgers[0].claim(update_id)
        client = redis.from_url(REDIS)
        try:
            ttl = await client.ttl(f"{RedisLedger.PREFIX}{update_id}")
        finally:
            await client.aclose()
        assert KEEP_UPDATE_IDS.total_seconds() - 60 < ttl <= KEEP_UPDATE_IDS.total_seconds()
        assert await ledgers[0].forget_old() == 0

    _with_replicas("redis", tmp_path, scenario)
