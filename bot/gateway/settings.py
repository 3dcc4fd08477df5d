"""The gateway's settings: environment variables with the IHS_ prefix (see README, "Settings")."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[2]


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IHS_", extra="ignore")

    environment: Literal["development", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    # How long an idle HTTP connection stays open. Longer than a load balancer's idle timeout (60 s is
    # common), so the balancer, not the gateway, closes idle connections: otherwise a request can be sent
    # on a connection the gateway is closing that moment and fail (uvicorn's default is 5 s; `make bench`
    # saw this with talents pausing between messages).
    keep_alive_s: int = Field(default=75, ge=1)
    database_url: str = f"sqlite+aiosqlite:///{ROOT / 'var' / 'gateway.db'}"
    rasa_url: str = "http://127.0.0.1:5005"
    # Several Rasa replicas (overrides rasa_url): each conversation sticks to one of them.
    rasa_urls: list[str] = []
    # Rasa's HTTP API token; required in production, where the default would be a known secret.
    rasa_token: str | None = None
    rasa_timeout_s: float = Field(default=4.0, gt=0)
    operator_file: Path = ROOT / "config" / "operator.yml"
    max_message_chars: int = Field(default=2000, ge=1)
    max_body_bytes: int = Field(default=16_384, ge=256)
    default_language: str = "en"

    # Handoff to the kontaktcenter. Opening hours like "mon-fri 08:00-16:30; sat 10:00-14:00" in
    # `timezone`; empty means people are there whenever agents are logged in (no hours are assumed).
    handoff_hours: str = ""
    timezone: str = "Europe/Stockholm"
    queue_max: int = Field(default=50, ge=0)
    # Average minutes an agent spends on one handoff, for the talent's wait estimate.
    handle_minutes: float = Field(default=6.0, gt=0)
    agent_idle_minutes: float = Field(default=30.0, gt=0)
    # Session cookies are Secure in production (behind HTTPS); plain http works on 127.0.0.1 in development.
    cookie_secure: bool | None = None
    # Conversations and call-back tickets are deleted this many days after their last message.
    retention_days: float = Field(default=30, gt=0)
    retention_interval_s: float = Field(default=3600, gt=0)
    # Sites that may embed the widget and call the API cross-origin (CORS, websocket Origin).
    allowed_origins: list[str] = []
    # Rate limits ("N/second|minute|hour"), per conversation and per client address.
    rate_per_conversation: str = "30/minute"
    rate_per_client: str = "600/minute"
    # Shared state for several gateway replicas (rate limits, pub/sub, Telegram de-duplication).
    redis_url: str | None = None

    # Telegram: off without a token. Webhook mode needs webhook_url and a secret; polling is for development.
    telegram_token: str | None = None
    telegram_mode: Literal["webhook", "polling"] = "webhook"
    telegram_webhook_url: str | None = None
    telegram_secret_token: str | None = None
    # Bot API server; tests point it at a local server that speaks the protocol.
    telegram_base_url: str = "https://api.telegram.org/bot"

    @model_validator(mode="after")
    def _secrets_in_production(self) -> GatewaySettings:
        if self.environment == "production" and not self.rasa_token:
            raise ValueError("IHS_RASA_TOKEN must be set when IHS_ENVIRONMENT=production")
        if self.telegram_token and self.telegram_mode == "webhook":
            if not self.telegram_secret_token:
                raise ValueError("IHS_TELEGRAM_SECRET_TOKEN must be set when IHS_TELEGRAM_MODE=webhook")
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", self.telegram_secret_token):
                raise ValueError("IHS_TELEGRAM_SECRET_TOKEN may only hold 1-256 of A-Z a-z 0-9 _ - "
                                 "(Telegram's rule)")
            if not self.telegram_webhook_url:
                raise ValueError("IHS_TELEGRAM_WEBHOOK_URL must be set when IHS_TELEGRAM_MODE=webhook")
        if self.cookie_secure is None:
            self.cookie_secure = self.environment == "production"
        return self
