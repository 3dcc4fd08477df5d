"""The gateway's settings: environment variables with the IHS_ prefix (see README, "Settings")."""
from __future__ import annotations

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
    database_url: str = f"sqlite+aiosqlite:///{ROOT / 'var' / 'gateway.db'}"
    rasa_url: str = "http://127.0.0.1:5005"
    # Rasa's HTTP API token; required in production, where the default would be a known secret.
    rasa_token: str | None = None
    rasa_timeout_s: float = Field(default=4.0, gt=0)
    operator_file: Path = ROOT / "config" / "operator.yml"
    max_message_chars: int = Field(default=2000, ge=1)
    max_body_bytes: int = Field(default=16_384, ge=256)
    default_language: str = "en"

    @model_validator(mode="after")
    def _secrets_in_production(self) -> GatewaySettings:
        if self.environment == "production" and not self.rasa_token:
            raise ValueError("IHS_RASA_TOKEN must be set when IHS_ENVIRONMENT=production")
        return self
