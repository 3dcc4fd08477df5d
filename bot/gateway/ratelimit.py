"""Rate limits per conversation and per client address (HTTP 429 with Retry-After), and the throttle on
failed agent logins.

Counters live in memory for one gateway, or in Redis (IHS_REDIS_URL) so that replicas share them: an
attacker spreading password guesses over several gateways meets one count.
"""
from __future__ import annotations

import math
import time

from fastapi import HTTPException
from limits import RateLimitItemPerSecond, parse
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string


def make_storage(redis_url: str | None) -> Storage:
    """One gateway's memory, or Redis shared by all replicas."""
    if redis_url:
        return storage_from_string(f"async+{redis_url}", implementation="redispy", key_prefix="ihs:limits")
    return MemoryStorage()


class RateLimits:
    def __init__(self, per_conversation: str, per_client: str, storage: Storage) -> None:
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


class LoginThrottle:
    """Failed agent logins per username (`per_user`) and per client address (`per_client`, higher, since
    a kontaktcenter shares one address) within `window_s`: beyond them, attempts wait for the window."""

    def __init__(self, storage: Storage, per_user: int = 5, per_client: int = 30, window_s: int = 900) -> None:
        self._limiter = MovingWindowRateLimiter(storage)
        self._items = {"user": RateLimitItemPerSecond(per_user, window_s),
                       "client": RateLimitItemPerSecond(per_client, window_s)}

    @staticmethod
    def _keys(username: str, client: str) -> list[tuple[str, str]]:
        return [("user", username.lower()), ("client", client)]

    async def retry_after(self, username: str, client: str) -> int:
        """Seconds to wait before another attempt, 0 if one may be made now."""
        waits = []
        for kind, key in self._keys(username, client):
            item = self._items[kind]
            if not await self._limiter.test(item, "login-failures", kind, key):
                stats = await self._limiter.get_window_stats(item, "login-failures", kind, key)
                waits.append(max(1, math.ceil(stats.reset_time - time.time())))
        return max(waits, default=0)

    async def failed(self, username: str, client: str) -> None:
        for kind, key in self._keys(username, client):
            await self._limiter.hit(self._items[kind], "login-failures", kind, key)

    async def succeeded(self, username: str, client: str) -> None:
        """A right password clears the user's count (not the address's: others share it)."""
        await self._limiter.clear(self._items["user"], "login-failures", "user", username.lower())
