"""Building python-telegram-bot's Application from the gateway's settings."""
from __future__ import annotations

from telegram import Update
from telegram.ext import AIORateLimiter, Application

from bot.gateway.settings import GatewaySettings

# Only what the handlers use: no edited messages, channel posts or inline queries.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
# Telegram's 429 says how long to wait; the limiter waits and tries again this often.
MAX_RETRIES = 3


def build(settings: GatewaySettings) -> Application:
    if not settings.telegram_token:
        raise ValueError("IHS_TELEGRAM_TOKEN is not set; the Telegram channel needs the bot's token")
    builder = (Application.builder()
               .token(settings.telegram_token)
               .base_url(settings.telegram_base_url)
               .rate_limiter(AIORateLimiter(max_retries=MAX_RETRIES))
               # Chats do not wait for each other; the engine keeps one conversation's messages in order.
               .concurrent_updates(True))
    if settings.telegram_mode == "webhook":
        # The gateway's route receives the updates; no polling.
        builder = builder.updater(None)
    return builder.build()
