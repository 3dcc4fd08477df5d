"""Builds the gateway app."""
from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from bot.gateway import db, errors, retention
from bot.gateway.arrival import ArrivalOrder, ArrivalOrderMiddleware
from bot.gateway.conversation import ConversationService
from bot.gateway.handoff import HandoffService
from bot.gateway.limits import BodySizeLimit
from bot.gateway.pubsub import make_pubsub
from bot.gateway.rasa import RasaClient
from bot.gateway.ratelimit import LoginThrottle, RateLimits, make_storage
from bot.gateway.routes import agent, conversations, health, pages, telegram
from bot.gateway.security import SecurityHeaders
from bot.gateway.settings import GatewaySettings


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        engine = db.make_engine(settings.database_url)
        await db.upgrade(engine)
        app.state.sessions = db.sessionmaker(engine)
        app.state.rasa = RasaClient(settings.rasa_urls or settings.rasa_url, settings.rasa_token,
                                    settings.rasa_timeout_s)
        app.state.pubsub = make_pubsub(settings.redis_url)
        await app.state.pubsub.start()
        app.state.handoff = HandoffService(app.state.sessions, app.state.rasa, app.state.pubsub, settings)
        app.state.conversations = ConversationService(app.state.sessions, app.state.rasa, app.state.pubsub,
                                                      app.state.handoff)
        # Telegram is off without a token; its channel module is only imported when it is on.
        app.state.telegram = None
        if settings.telegram_token:
            from bot.channels.telegram.channel import TelegramChannel
            app.state.telegram = TelegramChannel(settings, app.state.sessions, app.state.conversations,
                                                 app.state.pubsub)
            await app.state.telegram.start()
        stopping = asyncio.Event()
        retention_job = asyncio.create_task(retention.run_until(
            stopping, app.state.sessions, app.state.rasa, settings.retention_days, settings.retention_interval_s))
        try:
            yield
        finally:
            stopping.set()
            await retention_job
            if app.state.telegram is not None:
                await app.state.telegram.stop()
            await app.state.pubsub.close()
            await app.state.rasa.close()
            await engine.dispose()

    app = FastAPI(
        title="International House Stockholm guidance bot",
        version="0.1.0",
        description="The conversation API of the website widget and every other client.",
        lifespan=lifespan,
        # The interactive docs are for developers; production serves only the OpenAPI JSON.
        docs_url=None if settings.environment == "production" else "/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    limits_storage = make_storage(settings.redis_url)
    app.state.login_throttle = LoginThrottle(limits_storage)
    app.state.rate_limits = RateLimits(settings.rate_per_conversation, settings.rate_per_client, limits_storage)
    errors.install(app)
    # Telegram sends whole updates (up to 4096 characters of text plus entities and a quoted message).
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes,
                       per_path={"/telegram/webhook": 262_144})
    if settings.allowed_origins:
        # The widget on the House's own site calls the API cross-origin; only listed sites may.
        app.add_middleware(CORSMiddleware, allow_origins=settings.allowed_origins, allow_credentials=False,
                           allow_methods=["GET", "POST", "DELETE"],
                           allow_headers=["Authorization", "Content-Type"], expose_headers=["Retry-After"],
                           max_age=600)
    app.add_middleware(SecurityHeaders, hsts=settings.environment == "production")
    # Outermost, so a message's place in its conversation's line is taken the moment it arrives.
    app.add_middleware(ArrivalOrderMiddleware, order=ArrivalOrder())
    app.include_router(conversations.router)
    app.include_router(agent.router)
    app.include_router(telegram.router)
    app.include_router(health.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC), name="static")
    return app
