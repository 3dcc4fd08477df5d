"""Size limits: request bodies (413) before they are parsed, and websocket frames (close 1009)."""
from __future__ import annotations

import contextlib
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect


class BodySizeLimit:
    """Refuses bodies over `max_bytes` (or the path's own limit), whether or not the client declared their
    length."""

    def __init__(self, app: ASGIApp, max_bytes: int, per_path: dict[str, int] | None = None) -> None:
        self.app = app
        self.default_bytes = max_bytes
        self.per_path = per_path or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.per_path.get(scope.get("path", ""), self.default_bytes)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(send, limit)
            return
        received = 0
        refused = False

        async def limited_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            if refused:
                await self._refuse(send, limit)

    @staticmethod
    async def _refuse(send: Send, limit: int) -> None:
        body = json.dumps({"detail": f"The request body is larger than {limit} bytes."}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


async def drain_websocket(websocket: WebSocket, max_bytes: int) -> None:
    """Read (and ignore) what a client sends, so a disconnect is noticed; an oversized frame closes the
    socket with 1009. The server only pushes on these sockets."""
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            frame = await websocket.receive()
            if frame["type"] == "websocket.disconnect":
                return
            size = len(frame.get("text") or "") + len(frame.get("bytes") or b"")
            if size > max_bytes:
                await websocket.close(code=1009, reason="message too big")
                return
