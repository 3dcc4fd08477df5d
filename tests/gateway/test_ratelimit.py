"""Failed agent logins are counted across gateway replicas when they share Redis."""
from __future__ import annotations

import os
import secrets

import pytest

from bot.gateway.ratelimit import LoginThrottle, make_storage

REDIS = os.environ.get("IHS_TEST_REDIS", "redis://127.0.0.1:6379/6")


@pytest.fixture(params=["memory", "redis"])
def replicas(request: pytest.FixtureRequest) -> list[LoginThrottle]:
    """Two gateways' throttles: over one Redis, or (memory) the same one twice, as on one machine."""
    if request.param == "memory":
        throttle = LoginThrottle(make_storage(None), per_user=5, per_client=30, window_s=900)
        return [throttle, throttle]
    return [LoginThrottle(make_storage(REDIS), per_user=5, per_client=30, window_s=900) for _ in range(2)]


async def test_guesses_spread_over_replicas_meet_one_count(replicas: list[LoginThrottle]) -> None:
    user, client = f"anna-{secrets.token_hex(4)}", f"10.0.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    for attempt in range(5):
        assert await replicas[attempt % 2].retry_after(user, client) == 0
        await replicas[attempt % 2].failed(user, client)
    for replica in replicas:
        wait = await replica.retry_after(user.upper(), client)  # usernames are case-insensitive
        assert 890 <= wait <= 901
    # Another agent behind the same kontaktcenter address may still log in.
    assert await replicas[1].retry_after(f"ben-{secrets.token_hex(4)}", client) == 0


async def test_the_right_password_clears_the_users_count(replicas: list[LoginThrottle]) -> None:
    user, client = f"anna-{secrets.token_hex(4)}", f"10.1.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    for _ in range(4):
        await replicas[0].failed(user, client)
    await replicas[1].succeeded(user, client)
    for _ in range(4):
        await replicas[0].failed(user, client)
    assert await replicas[1].retry_after(user, client) == 0


async def test_an_address_with_many_failures_waits_whatever_the_username(replicas: list[LoginThrottle]) -> None:
    client = f"10.2.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    for i in range(30):
        await replicas[i % 2].failed(f"guess-{i}-{secrets.token_hex(3)}", client)
    assert await replicas[0].retry_after(f"new-{secrets.token_hex(3)}", client) > 0
