"""The callback_data of inline buttons: Telegram allows 64 bytes, so buttons carry references, not payloads."""
from __future__ import annotations

import re
from dataclasses import dataclass

from bot.knowledge.articles import LANGUAGES

MAX_BYTES = 64
_REPLY_BUTTON = re.compile(r"(\d{1,19}):(\d{1,2})")
_LANGUAGE = "lang:"


@dataclass(frozen=True)
class ReplyButton:
    """Button `index` of the stored bot message `reply_id`; its payload is looked up in the transcript."""
    reply_id: int
    index: int


@dataclass(frozen=True)
class LanguageChoice:
    language: str


def reply_button(reply_id: int, index: int) -> str:
    return f"{reply_id}:{index}"


def language_choice(language: str) -> str:
    if language not in LANGUAGES:
        raise ValueError(f"language {language!r} is not one of {LANGUAGES}")
    return f"{_LANGUAGE}{language}"


def parse(data: str | None) -> ReplyButton | LanguageChoice | None:
    """What a pressed button meant; None for data this bot never sent (old, forged or garbled)."""
    if not data:
        return None
    if data.startswith(_LANGUAGE):
        language = data.removeprefix(_LANGUAGE)
        return LanguageChoice(language) if language in LANGUAGES else None
    match = _REPLY_BUTTON.fullmatch(data)
    return ReplyButton(int(match.group(1)), int(match.group(2))) if match else None
