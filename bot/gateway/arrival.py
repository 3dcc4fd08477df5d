"""Messages of one conversation are handled in the order they reached the gateway.

Before a message gets to the conversation's lock it is authorised and rate-limited, which awaits the
database; under load a later message could overtake an earlier one there. So each message takes a place
in its conversation's line the moment its request arrives (no await in between), and waits for its turn
before it is handled; its place is given up when its response is finished, whatever happened to it.
"""
from __future__ import annotations

import asyncio
import re
from collections import deque

from starlette.types import ASGIApp, Receive, Scope, Send

_MESSAGES = re.compile(r"^/api/v1/conversations/([^/]+)/messages$")


class Place:
    def __init__(self) -> None:
        self.turn = asyncio.Event()

    async def wait(self) -> None:
        await self.turn.wait()


class ArrivalOrder:
    def __init__(self) -> None:
        self._lines: dict[str, deque[Place]] = {}

    def arrive(self, conversation_id: str) -> Place:
        place = Place()
        line = self._lines.setdefault(conversation_id, deque())
        line.append(place)
        if len(line) == 1:
            place.turn.set()
        return place

    def leave(self, conversation_id: str, place: Place) -> None:
        line = self._lines.get(conversation_id)
        if line is None:
            return
        first = bool(line) and line[0] is place
        try:
            line.remove(place)
        except ValueError:
            return
        if not line:
            del self._lines[conversation_id]
        elif first:
            line[0].turn.set()


class ArrivalOrderMiddleware:
    def __init__(self, app: ASGIApp, order: ArrivalOrder) -> None:
        self.app = app
        self.order = order

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = _MESSAGES.match(scope.get("path", "")) if scope["type"] == "http" else None
        if match is None or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        conversation_id = match.group(1)
        place = self.order.arrive(conversation_id)
        scope.setdefault("state", {})["arrival"] = place
        try:
            await self.app(scope, receive, send)
        finally:
            self.order.leave(conversation_id, place)
