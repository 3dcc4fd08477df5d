"""Publish/subscribe of conversation events (websocket feeds, the consoles' feed, Telegram's outbound).

In one process the events go through memory; with several gateway replicas (IHS_REDIS_URL) through Redis,
so that an agent's reply reaches a talent connected to another replica.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from typing import Any

log = logging.getLogger(__name__)


class PubSub:
    """In-process: publish hands the event to every local subscriber's queue."""

    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue]] = defaultdict(set)

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        pass

    def subscribe(self, channel: str, maxsize: int = 256) -> asyncio.Queue:
        """A queue of the channel's events. Bounded by default: a websocket client that stops reading
        loses its oldest events (it reloads the transcript); `maxsize=0` for a consumer that must see all."""
        queue: asyncio.Queue = asyncio.Queue(maxsize=maxsize)
        self._queues[channel].add(queue)
        return queue

    def unsubscribe(self, channel: str, queue: asyncio.Queue) -> None:
        queues = self._queues.get(channel)
        if queues is not None:
            queues.discard(queue)
            if not queues:
                del self._queues[channel]

    async def publish(self, channel: str, event: dict[str, Any]) -> None:
        self._deliver(channel, event)

    def publish_local(self, channel: str, event: dict[str, Any]) -> None:
        """To this process's subscribers only, whatever the backend: for work that one replica must do
        once (sending to Telegram), not every replica."""
        self._deliver(channel, event)

    def _deliver(self, channel: str, event: dict[str, Any]) -> None:
        for queue in list(self._queues.get(channel, ())):
            if queue.full():
                # A client that stopped reading loses its oldest event, not the others' events.
                queue.get_nowait()
            queue.put_nowait(event)


class RedisPubSub(PubSub):
    """Across replicas: events go through one Redis pattern subscription and are handed out locally."""

    PREFIX = "ihs:events:"

    def __init__(self, url: str) -> None:
        super().__init__()
        import redis.asyncio as redis

        self._redis = redis.from_url(url)
        self._reader: asyncio.Task | None = None
        self._ready = asyncio.Event()

    async def start(self) -> None:
        self._reader = asyncio.create_task(self._read())
        await asyncio.wait_for(self._ready.wait(), timeout=10)

    async def close(self) -> None:
        if self._reader:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        await self._redis.aclose()

    async def publish(self, channel: str, event: dict[str, Any]) -> None:
        await self._redis.publish(self.PREFIX + channel, json.dumps(event))

    async def _read(self) -> None:
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.psubscribe(self.PREFIX + "*")
                    self._ready.set()
                    async for message in pubsub.listen():
                        if message.get("type") != "pmessage":
                            continue
                        channel = message["channel"].decode()[len(self.PREFIX):]
                        self._deliver(channel, json.loads(message["data"]))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - Redis restarted or the network blinked: reconnect
                log.warning("pub/sub: lost Redis (%r); reconnecting", exc)
                await asyncio.sleep(1)


def make_pubsub(redis_url: str | None) -> PubSub:
    return RedisPubSub(redis_url) if redis_url else PubSub()
