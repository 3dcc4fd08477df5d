"""Each Telegram update_id passes once: in the gateway's database, or in Redis across replicas."""
from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio as redis

from bot.channels.telegram.ledger import KEEP_UPDATE_IDS, DatabaseLedger, RedisLedger, UpdateLedger
from bot.gateway.db import make_engine, sessionmaker, upgrade

REDIS = os.environ.get("IHS_TEST_REDIS", "redis://127.0.0.1:6379/6")


@pytest.fixture(params=["database", "redis"])
async def ledgers(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[list[UpdateLedger]]:
    """Two gateway replicas' ledgers over one store."""
    if request.param == "redis":
        pair: list[UpdateLedger] = [RedisLedger(REDIS), RedisLedger(REDIS)]
        yield pair
        for ledger in pair:
            await ledger.close()
        return
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'g.db'}")
    await upgrade(engine)
    sessions = sessionmaker(engine)
    yield [DatabaseLedger(sessions), DatabaseLedger(sessions)]
    await engine.dispose()


def _new_id() -> int:
    return secrets.randbelow(2**52) + 2**40


async def test_a_redelivered_update_is_claimed_once(ledgers: list[UpdateLedger]) -> None:
    first, second = ledgers
    update_id = _new_id()
    assert await first.claim(update_id) is True
    assert await first.claim(update_id) is False
    assert await second.claim(update_id) is False
    assert await second.claim(update_id + 1) is True


async def test_copies_arriving_together_at_two_replicas_pass_once(ledgers: list[UpdateLedger]) -> None:
    ids = [_new_id() for _ in range(20)]
    claims = await asyncio.gather(*(ledgers[i % 2].claim(update_id) for update_id in ids for i in range(4)))
    assert sum(claims) == len(ids)


async def test_in_redis_a_claim_expires_when_telegram_can_no_longer_redeliver() -> None:
    update_id = _new_id()
    ledger = RedisLedger(REDIS)
    await ledger.claim(update_id)
    client = redis.from_url(REDIS)
    try:
        ttl = await client.ttl(f"{RedisLedger.PREFIX}{update_id}")
    finally:
        await client.aclose()
    assert KEEP_UPDATE_IDS.total_seconds() - 60 < ttl <= KEEP_UPDATE_IDS.total_seconds()
    assert await ledger.forget_old() == 0
    await ledger.close()
