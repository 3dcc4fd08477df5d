"""Events between replicas: conversation events reach every replica; pushes to Telegram stay on the one
where they happened (else each replica would send the talent a copy); Telegram's queue never drops."""
from __future__ import annotations

import asyncio
import os
import secrets

from bot.gateway.pubsub import PubSub, RedisPubSub
from tests.asyncio_thread import run as run_async

REDIS = os.environ.get("IHS_TEST_REDIS", "redis://127.0.0.1:6379/6")


async def _drained(queue: asyncio.Queue) -> list:
    await asyncio.sleep(0.3)  # what Redis carries arrives within this on loopback
    items = []
    while not queue.empty():
        items.append(queue.get_nowait())
    return items


def test_local_events_stay_on_their_replica_and_the_others_reach_every_replica() -> None:
    async def scenario() -> tuple[list, list]:
        a, b = RedisPubSub(REDIS), RedisPubSub(REDIS)
        await a.start()
        await b.start()
        channel = f"test-{secrets.token_hex(4)}"
        try:
            on_a, on_b = a.subscribe(channel), b.subscribe(channel)
            await a.publish(channel, {"n": 1})
            a.publish_local(channel, {"n": 2})
            return await _drained(on_a), await _drained(on_b)
        finally:
            await a.close()
            await b.close()

    on_a, on_b = run_async(scenario())
    assert sorted(e["n"] for e in on_a) == [1, 2]
    assert [e["n"] for e in on_b] == [1]


def test_a_bounded_queue_drops_its_oldest_and_an_unbounded_one_keeps_every_event() -> None:
    async def scenario() -> tuple[list, list]:
        pubsub = PubSub()
        bounded, everything = pubsub.subscribe("outbound"), pubsub.subscribe("outbound", maxsize=0)
        for n in range(1000):
            pubsub.publish_local("outbound", {"n": n})
        return await _drained(bounded), await _drained(everything)

    bounded, everything = run_async(scenario())
    assert [e["n"] for e in bounded] == list(range(1000 - 256, 1000))
    assert [e["n"] for e in everything] == list(range(1000))
