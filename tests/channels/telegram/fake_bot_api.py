"""A local server that speaks the Telegram Bot API methods the bot uses, and records every call.

It answers like Telegram does (`{"ok": true, "result": ...}`, or `{"ok": false, "error_code", "description"}`),
checks what Telegram checks on the methods used (token, required fields, HTML entities, the 4096-character
and 64-byte limits), and can be told to refuse the next call of a method (e.g. 429 with retry_after).
"""
from __future__ import annotations

import asyncio
import json
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

BOT_ID = 7_000_000_001
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "IHS test bot", "username": "ihs_test_bot",
            "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False}
# Parameters Telegram takes as JSON-serialised objects in form-encoded requests.
_JSON_FIELDS = {"reply_markup", "allowed_updates", "link_preview_options", "reply_parameters", "entities"}
_INT_FIELDS = {"chat_id", "message_id", "max_connections", "offset", "limit", "timeout", "cache_time"}
# The tags Telegram's HTML parse mode accepts.
_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "span", "tg-spoiler",
         "blockquote", "tg-emoji"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int
    result: Any = None
    at: float = field(default_factory=time.monotonic)


class _TelegramHtml(HTMLParser):
    """Parses like Telegram: only its tags, properly nested; returns the visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.text: list[str] = []
        self.error: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _TAGS:
            self.error = self.error or f"unsupported start tag \"{tag}\""
        if tag == "a" and not dict(attrs).get("href"):
            self.error = self.error or "a tag without href"
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.error = self.error or f"unmatched end tag \"{tag}\""
        else:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def visible_text(text: str) -> str:
    """What the talent sees of an HTML message (raises ValueError where Telegram answers 400)."""
    parser = _TelegramHtml()
    parser.feed(text)
    parser.close()
    if parser.error or parser.open:
        raise ValueError(f"Bad Request: can't parse entities: {parser.error or 'unclosed tag ' + parser.open[-1]}")
    return "".join(parser.text)


class FakeBotApi:
    def __init__(self, token: str | None = None) -> None:
        self.token = token or f"{BOT_ID}:TEST{secrets.token_hex(12)}"
        self.calls: list[Call] = []
        self._changed = threading.Condition()
        self._failures: list[tuple[str, int | None, int, dict]] = []
        self._next_message_id = 100
        self._pending: list[dict] = []  # updates for getUpdates (polling mode)
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # Running ------------------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        assert self._socket is not None, "the fake Bot API server is not started"
        return self._socket.getsockname()[1]

    @property
    def base_url(self) -> str:
        """What IHS_TELEGRAM_BASE_URL is set to: the token and method are appended."""
        return f"http://127.0.0.1:{self.port}/bot"

    def start(self) -> None:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        app = Starlette(routes=[Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"])])
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the fake Bot API server did not start within 10 s")
            time.sleep(0.02)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    # Controlling and inspecting -------------------------------------------------------------------------

    def fail_next(self, method: str, error_code: int, description: str, retry_after: int | None = None,
                  chat_id: int | None = None) -> None:
        """The next call of `method` (to `chat_id`, if given) is refused the way Telegram refuses it."""
        body: dict[str, Any] = {"ok": False, "error_code": error_code, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        with self._changed:
            self._failures.append((method, chat_id, error_code, body))

    def push_update(self, update: dict) -> None:
        """An update that the next getUpdates returns, as Telegram queues them for a polling bot."""
        with self._changed:
            self._pending.append(update)

    def calls_of(self, method: str, chat_id: int | None = None, ok: bool | None = True) -> list[Call]:
        with self._changed:
            return [c for c in self.calls if c.method == method
                    and (chat_id is None or c.params.get("chat_id") == chat_id)
                    and (ok is None or (c.status == 200) == ok)]

    def wait_for(self, method: str, chat_id: int | None = None, count: int = 1, timeout: float = 30,
                 where: Callable[[Call], bool] | None = None) -> list[Call]:
        """Waits until at least `count` successful calls match; returns all that match."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [c for c in self.calls if c.method == method and c.status == 200
                         and (chat_id is None or c.params.get("chat_id") == chat_id)
                         and (where is None or where(c))]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(c.method, c.params.get("chat_id"), c.status) for c in self.calls[-10:]]
                    raise AssertionError(f"expected {count} {method} call(s) to chat {chat_id} within {timeout} s, "
                                         f"got {len(found)}; last calls: {seen}")
                self._changed.wait(left)

    # The API ----------------------------------------------------------------------------------------------

    async def _endpoint(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        params = await self._params(request)
        if request.path_params["token"] != self.token:
            return self._record(method, params, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        with self._changed:
            failure = next((f for f in self._failures
                            if f[0] == method and f[1] in (None, params.get("chat_id"))), None)
            if failure is not None:
                self._failures.remove(failure)
        if failure is not None:
            return self._record(method, params, failure[2], failure[3])
        if method == "getUpdates":
            return self._record(method, params, 200, {"ok": True, "result": await self._get_updates(params)})
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return self._record(method, params, 404,
                                {"ok": False, "error_code": 404, "description": "Not Found: method not found"})
        try:
            result = handler(params)
        except ValueError as exc:
            return self._record(method, params, 400, {"ok": False, "error_code": 400, "description": str(exc)})
        return self._record(method, params, 200, {"ok": True, "result": result})

    def _record(self, method: str, params: dict, status: int, body: dict) -> JSONResponse:
        with self._changed:
            self.calls.append(Call(method, params, status, body.get("result")))
            self._changed.notify_all()
        return JSONResponse(body, status_code=status)

    @staticmethod
    async def _params(request: Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query_params)
        content_type = request.headers.get("content-type", "")
        if "json" in content_type:
            body = await request.body()
            params.update(json.loads(body) if body else {})
        elif request.method == "POST":
            # python-telegram-bot posts url-encoded forms when there are no files (the bot sends none).
            params.update(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        for key, value in list(params.items()):
            if isinstance(value, str) and key in _JSON_FIELDS:
                params[key] = json.loads(value)
            elif isinstance(value, str) and key in _INT_FIELDS and value.lstrip("-").isdigit():
                params[key] = int(value)
        return params

    def _message(self, chat_id: int, text: str, reply_markup: dict | None) -> dict:
        with self._changed:
            self._next_message_id += 1
            message_id = self._next_message_id
        message = {"message_id": message_id, "from": BOT_USER, "date": int(time.time()),
                   "chat": {"id": chat_id, "type": "private", "first_name": "Talent"}, "text": text}
        if reply_markup:
            message["reply_markup"] = reply_markup
        return message

    def _m_getMe(self, params: dict) -> dict:
        return BOT_USER

    def _m_setWebhook(self, params: dict) -> bool:
        if not str(params.get("url", "")).startswith(("https://", "http://")):
            raise ValueError("Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        return True

    def _m_deleteWebhook(self, params: dict) -> bool:
        return True

    def _m_getWebhookInfo(self, params: dict) -> dict:
        url = next((c.params.get("url") for c in reversed(self.calls) if c.method == "setWebhook"), "")
        return {"url": url or "", "has_custom_certificate": False, "pending_update_count": 0}

    async def _get_updates(self, params: dict) -> list[dict]:
        """Long polling: waits (at most a second here) for updates from `offset` on; earlier ones are confirmed."""
        offset = int(params.get("offset") or 0)
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 1.0)
        while True:
            with self._changed:
                self._pending = [u for u in self._pending if u["update_id"] >= offset]
                if self._pending or time.monotonic() >= deadline:
                    return list(self._pending)
            await asyncio.sleep(0.05)

    def _m_answerCallbackQuery(self, params: dict) -> bool:
        if not params.get("callback_query_id"):
            raise ValueError("Bad Request: query is too old and response timeout expired or query ID is invalid")
        return True

    def _m_sendMessage(self, params: dict) -> dict:
        chat_id, text = params.get("chat_id"), params.get("text")
        if not isinstance(chat_id, int):
            raise ValueError("Bad Request: chat not found")
        if not text:
            raise ValueError("Bad Request: message text is empty")
        shown = visible_text(text) if params.get("parse_mode") == "HTML" else text
        if len(shown) > 4096:
            raise ValueError("Bad Request: message is too long")
        markup = params.get("reply_markup")
        for row in (markup or {}).get("inline_keyboard", []):
            for button in row:
                if len(str(button.get("callback_data", "")).encode()) > 64:
                    raise ValueError("Bad Request: BUTTON_DATA_INVALID")
        return self._message(chat_id, text, markup)

    def _m_editMessageReplyMarkup(self, params: dict) -> dict:
        return self._message(int(params.get("chat_id") or 0), "", params.get("reply_markup"))


def text_of(call: Call) -> str:
    """The visible text of a recorded sendMessage."""
    text = call.params.get("text", "")
    return visible_text(text) if call.params.get("parse_mode") == "HTML" else text
