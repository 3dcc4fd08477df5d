"""A Telegram user, as the gateway's webhook sees one: updates shaped like those Telegram sends."""
from __future__ import annotations

import itertools
import random
import time
from typing import Any

import httpx

from tests.channels.telegram.fake_bot_api import Call, FakeBotApi

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_update_ids = itertools.count(random.randrange(10_000, 900_000_000))
_message_ids = itertools.count(1)


def new_chat_id() -> int:
    return random.randrange(10_000_000, 9_000_000_000)


class TelegramTalent:
    """One private chat; every method posts one update to the webhook and returns the response."""

    def __init__(self, client: httpx.Client, api: FakeBotApi, secret: str, language_code: str | None = "en",
                 webhook: str = "/telegram/webhook") -> None:
        self.client, self.api, self.secret, self.webhook = client, api, secret, webhook
        self.chat_id = new_chat_id()
        self.user = {"id": self.chat_id, "is_bot": False, "first_name": "Amira", "last_name": "Haddad"}
        if language_code:
            self.user["language_code"] = language_code

    def _chat(self) -> dict:
        return {"id": self.chat_id, "first_name": "Amira", "last_name": "Haddad", "type": "private"}

    def message_update(self, text: str | None = None, **extra: Any) -> dict:
        message: dict[str, Any] = {"message_id": next(_message_ids), "from": self.user, "chat": self._chat(),
                                   "date": int(time.time())}
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                command = text.split()[0]
                message["entities"] = [{"offset": 0, "length": len(command), "type": "bot_command"}]
        message.update(extra)
        return {"update_id": next(_update_ids), "message": message}

    def callback_update(self, sent: Call, index: int) -> dict:
        """Pressing button `index` (counted across rows) of a message the bot sent."""
        rows = sent.params["reply_markup"]["inline_keyboard"]
        button = [b for row in rows for b in row][index]
        return {"update_id": next(_update_ids),
                "callback_query": {"id": str(random.randrange(10**17, 10**18)), "from": self.user,
                                   "message": sent.result, "chat_instance": str(-self.chat_id),
                                   "data": button["callback_data"]}}

    def post(self, update: dict | bytes | str, secret: str | None = ...) -> httpx.Response:  # type: ignore[assignment]
        secret = self.secret if secret is ... else secret
        headers = {} if secret is None else {SECRET_HEADER: secret}
        if isinstance(update, dict):
            return self.client.post(self.webhook, json=update, headers=headers)
        return self.client.post(self.webhook, content=update, headers={**headers, "content-type": "application/json"})

    def say(self, text: str) -> dict:
        update = self.message_update(text)
        response = self.post(update)
        assert response.status_code == 200, response.text
        return update

    def press(self, sent: Call, index: int) -> dict:
        update = self.callback_update(sent, index)
        response = self.post(update)
        assert response.status_code == 200, response.text
        return update

    # What the bot sent to this chat -----------------------------------------------------------------------

    def sent(self) -> list[Call]:
        return self.api.calls_of("sendMessage", chat_id=self.chat_id)

    def wait_sent(self, count: int, timeout: float = 30) -> list[Call]:
        return self.api.wait_for("sendMessage", chat_id=self.chat_id, count=count, timeout=timeout)

    def answered(self, update: dict) -> list[Call]:
        query_id = update["callback_query"]["id"]
        return [c for c in self.api.calls_of("answerCallbackQuery") if c.params.get("callback_query_id") == query_id]
