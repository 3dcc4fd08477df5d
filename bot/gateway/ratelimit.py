"""Rate limits per conversation and per client address (HTTP 429 with Retry-After).

Counters live in memory for one gateway, or in Redis (IHS_REDIS_URL) so that replicas share them.
"""
from __future__ import annotations

import math
import time

from fastapi import HTTPException
from limits import parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string


class RateLimits:
    def __init__(self, per_conversation: str, per_client: str, redis_url: str | None = None) -> None:
        storage = (storage_from_string(f"async+{redis_url}", implementation="redispy", key_prefix="ihs:limits")
                   if redis_url else MemoryStorage())
        self._limiter = MovingWindowRateLimiter(storage)
        self._per_conversation = parse(per_conversation)
        self._per_client = parse(per_client)

    async def check(self, *, client: str, conversation_id: str | None = None) -> None:
        """Count one request; over a limit, refuse it with 429 and the seconds until one is free again."""
        checks = [(self._per_client, "client", client)]
        if conversation_id:
            checks.append((self._per_conversation, "conversation", conversation_id))
        for item, kind, key in checks:
            if not await self._limiter.hit(item, kind, key):
                stats = await self._limiter.get_window_stats(item, kind, key)
                wait = max(1, math.ceil(stats.reset_time - time.time()))
                raise HTTPException(429, f"Too many requests for this {kind}; try again in {wait} seconds.",
                                    headers={"Retry-After": str(wait)})
