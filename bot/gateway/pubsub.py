"""In-process publish/subscribe of conversation events (the websocket's feed)."""
from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any


class PubSub:
    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue]] = defaultdict(set)

    def subscribe(self, channel: str) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue(maxsize=256)
        self._queues[channel].add(queue)
        return queue

    def unsubscribe(self, channel: str, queue: asyncio.Queue) -> None:
        queues = self._queues.get(channel)
        if queues is not None:
            queues.discard(queue)
            if not queues:
                del self._queues[channel]

    async def publish(self, channel: str, event: dict[str, Any]) -> None:
        for queue in list(self._queues.get(channel, ())):
            if queue.full():
                # A client that stopped reading loses its oldest event, not the others' events.
                queue.get_nowait()
            queue.put_nowait(event)
