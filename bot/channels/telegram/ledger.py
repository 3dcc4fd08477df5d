"""Which Telegram updates were processed: each update_id passes once, on whichever gateway replica.

Telegram redelivers an update until a webhook call succeeds, and with several replicas two copies can
arrive at two gateways at once. One machine keeps the ids in the gateway's database; with
IHS_REDIS_URL set, every replica claims them in Redis (`SET NX` with an expiry, no table to prune).
"""
from __future__ import annotations

import datetime as dt
from typing import Protocol

from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.channels.telegram import store

# Telegram keeps undelivered updates for 24 hours; ids older than this can never come again.
KEEP_UPDATE_IDS = dt.timedelta(days=2)


class UpdateLedger(Protocol):
    async def claim(self, update_id: int) -> bool:
        """Record `update_id` as processed; False if it already was (a redelivery, or a concurrent copy)."""

    async def forget_old(self) -> int:
        """Drop ids that Telegram can no longer redeliver; how many."""

    async def close(self) -> None: ...


class DatabaseLedger:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions

    async def claim(self, update_id: int) -> bool:
        return await store.claim_update(self._sessions, update_id)

    async def forget_old(self) -> int:
        return await store.forget_updates(self._sessions, KEEP_UPDATE_IDS)

    async def close(self) -> None:
        return None


class RedisLedger:
    PREFIX = "ihs:telegram:update:"

    def __init__(self, url: str) -> None:
        import redis.asyncio as redis

        self._redis = redis.from_url(url)

    async def claim(self, update_id: int) -> bool:
        created = await self._redis.set(f"{self.PREFIX}{update_id}", b"1", nx=True,
                                        ex=int(KEEP_UPDATE_IDS.total_seconds()))
        return bool(created)

    async def forget_old(self) -> int:
        return 0  # the keys expire by themselves

    async def close(self) -> None:
        await self._redis.aclose()


def make_ledger(redis_url: str | None, sessions: async_sessionmaker) -> UpdateLedger:
    return RedisLedger(redis_url) if redis_url else DatabaseLedger(sessions)
