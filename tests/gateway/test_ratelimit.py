"""Failed agent logins are counted across gateway replicas when they share Redis.

The scenarios are coroutines run off the main thread (`tests.asyncio_thread`): the session's browser keeps
an event loop there."""
from __future__ import annotations

import os
import secrets
from collections.abc import Awaitable, Callable

import pytest

from bot.gateway.ratelimit import LoginThrottle, make_storage
from tests.asyncio_thread import run as run_async

REDIS = os.environ.get("IHS_TEST_REDIS", "redis://127.0.0.1:6379/6")


def _with_replicas(kind: str, scenario: Callable[[list[LoginThrottle]], Awaitable[None]]) -> None:
    """Two gateways' throttles: over one Redis, or (memory) the same one twice, as on one machine."""
    async def main() -> None:
        if kind == "memory":
            throttle = LoginThrottle(make_storage(None), per_user=5, per_client=30, window_s=900)
            await scenario([throttle, throttle])
        else:
            await scenario([LoginThrottle(make_storage(REDIS), per_user=5, per_client=30, window_s=900)
                            for _ in range(2)])

    run_async(main())


def _address() -> str:
    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250)}"


@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_guesses_spread_over_replicas_meet_one_count(kind: str) -> None:
    async def scenario(replicas: list[LoginThrottle]) -> None:
        user, client = f"anna-{secrets.token_hex(4)}", _address()
        for attempt in range(5):
            assert await replicas[attempt % 2].retry_after(user, client) == 0
            await replicas[attempt % 2].failed(user, client)
        for replica in replicas:
            wait = await replica.retry_after(user.upper(), client)  # usernames are case-insensitive
            assert 890 <= wait <= 901
        # Another agent behind the same kontaktcenter address may still log in.
        assert await replicas[1].retry_after(f"ben-{secrets.token_hex(4)}", client) == 0

    _with_replicas(kind, scenario)


@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_the_right_password_clears_the_users_count(kind: str) -> None:
    async def scenario(replicas: list[LoginThrottle]) -> None:
        user, client = f"anna-{secrets.token_hex(4)}", _address()
        for _ in range(4):
            await replicas[0].failed(user, client)
        await replicas[1].succeeded(user, client)
        for _ in range(4):
            await replicas[0].failed(user, client)
        assert await replicas[1].retry_after(user, client) == 0

    _with_replicas(kind, scenario)


@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_an_address_with_many_failures_waits_whatever_the_username(kind: str) -> None:
    async def scenario(replicas: list[LoginThrottle]) -> None:
        client = _address()
        for i in range(30):
            await replicas[i % 2].failed(f"guess-{i}-{secrets.token_hex(3)}", client)
        assert await replicas[0].retry_after(f"new-{secrets.token_hex(3)}", client) > 0

    _with_replicas(kind, scenario)
