"""The Telegram channel's lifetime inside the gateway: connect, receive, forward, stop."""
from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.ext.asyncio import async_sessionmaker
from telegram import Update
from telegram.error import InvalidToken, TelegramError

from bot.channels.telegram import application, handlers, outbound, redaction
from bot.channels.telegram.chats import Chats
from bot.channels.telegram.ledger import make_ledger
from bot.gateway.conversation import ConversationService
from bot.gateway.pubsub import PubSub
from bot.gateway.settings import GatewaySettings

log = logging.getLogger(__name__)

PRUNE_EVERY_S = 6 * 3600
MAX_BACKOFF_S = 60.0


class TelegramChannel:
    def __init__(self, settings: GatewaySettings, sessions: async_sessionmaker, service: ConversationService,
                 pubsub: PubSub) -> None:
        if settings.telegram_mode == "webhook" and not settings.telegram_webhook_url:
            raise ValueError("IHS_TELEGRAM_WEBHOOK_URL must be set when IHS_TELEGRAM_MODE=webhook")
        self.mode = settings.telegram_mode
        self.secret_token = settings.telegram_secret_token or ""
        self._webhook_url = settings.telegram_webhook_url
        self._pubsub = pubsub
        self.application = application.build(settings)
        self.chats = Chats(sessions, service, settings.default_language)
        self.ledger = make_ledger(settings.redis_url, sessions)
        handlers.install(self.application, handlers.Dependencies(self.chats, self.ledger, settings.max_message_chars))
        # Set once the Bot API answered and the webhook (or polling) is in place.
        self.ready = asyncio.Event()
        self._queue: asyncio.Queue | None = None
        self._tasks: list[asyncio.Task] = []
        self._stopping = asyncio.Event()
        self._pruning: asyncio.Task | None = None
        self._token_filter: redaction.TokenFilter | None = None

    async def start(self) -> None:
        """Connects in the background: the gateway serves the widget even while Telegram is out of reach."""
        self._token_filter = redaction.install(self.application.bot.token)
        # Subscribed now, so agent messages published while connecting are sent once connected.
        # Unbounded: every agent message must reach the chat, however long a burst or an outage of the
        # Bot API (a bounded queue dropped 2 of 219 messages an agent sent in a burst).
        self._queue = self._pubsub.subscribe(outbound.TOPIC, maxsize=0)
        self._tasks = [
            asyncio.create_task(self._connect(), name="telegram-connect"),
            asyncio.create_task(outbound.forward(self._queue, self.application.bot, self.chats, self.ready),
                                name="telegram-outbound"),
        ]
        self._pruning = asyncio.create_task(self._prune(), name="telegram-prune")

    async def _connect(self) -> None:
        delay = 1.0
        while True:
            try:
                await self._connect_once()
            except InvalidToken as exc:
                log.error("Telegram refused the bot token (IHS_TELEGRAM_TOKEN): %s; the channel stays off", exc)
                return
            except TelegramError as exc:
                log.warning("Telegram is not reachable yet (%r); trying again in %.0f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF_S)
                continue
            self.ready.set()
            log.info("Telegram channel ready as @%s (%s)", self.application.bot.username, self.mode)
            return

    async def _connect_once(self) -> None:
        app = self.application
        await app.initialize()  # getMe: checks the token
        if not app.running:
            await app.start()
        allowed = application.ALLOWED_UPDATES
        if self.mode == "webhook":
            await app.bot.set_webhook(self._webhook_url, secret_token=self.secret_token, allowed_updates=allowed)
        elif not app.updater.running:
            await app.updater.start_polling(allowed_updates=allowed)

    async def _prune(self) -> None:
        # Stopped by the event rather than cancelled: cancelled inside a database call, it would leave a
        # connection closing while the gateway disposes of the engine (see retention.run_until).
        while not self._stopping.is_set():
            try:
                forgotten = await self.ledger.forget_old()
                if forgotten:
                    log.info("forgot %d processed Telegram update ids", forgotten)
            except Exception as exc:  # noqa: BLE001 - pruning is housekeeping; it tries again later
                log.warning("could not prune processed Telegram update ids: %r", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), PRUNE_EVERY_S)

    async def process(self, update: Update) -> None:
        """One update from the webhook; handler errors go to the error handler, not to the caller."""
        await self.application.process_update(update)

    async def stop(self) -> None:
        self._stopping.set()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._pruning is not None:
            await self._pruning  # ends by the event, after a run in progress
        if self._queue is not None:
            self._pubsub.unsubscribe(outbound.TOPIC, self._queue)
        app = self.application
        # The webhook stays registered: Telegram keeps updates while the gateway restarts.
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        await self.ledger.close()
        if self._token_filter is not None:
            redaction.remove(self._token_filter)
