"""Keeps the bot token out of the logs: httpx logs every request URL, and the Bot API's URLs contain it."""
from __future__ import annotations

import logging

# The loggers that write Bot API URLs (httpx at INFO, python-telegram-bot at DEBUG).
LOGGERS = ("httpx", "telegram")


class TokenFilter(logging.Filter):
    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self._token in message:
            record.msg, record.args = message.replace(self._token, "<bot-token>"), None
        return True


def install(token: str) -> TokenFilter:
    token_filter = TokenFilter(token)
    for name in LOGGERS:
        logging.getLogger(name).addFilter(token_filter)
    return token_filter


def remove(token_filter: TokenFilter) -> None:
    for name in LOGGERS:
        logging.getLogger(name).removeFilter(token_filter)
