"""Request and response bodies of the conversation API."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.knowledge.articles import LANGUAGES

Language = Literal["en", "sv", "ar", "fa", "zh", "es", "tr", "ru", "uk", "hi", "de", "fr", "pt", "pl"]
assert set(Language.__args__) == set(LANGUAGES)  # type: ignore[attr-defined]


class NewConversation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language: Language | None = None
    channel: Literal["web", "telegram", "api"] = "web"


class ConversationCreated(BaseModel):
    conversation_id: str
    token: str


class NewMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1)
    language: Language | None = None
    client_message_id: str | None = Field(default=None, min_length=1, max_length=128)

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text must not be blank")
        return value


class Button(BaseModel):
    title: str
    payload: str


class SourceLink(BaseModel):
    title: str
    url: str
    reviewed: str


class Meta(BaseModel):
    outcome: Literal["answer", "clarify", "smalltalk", "handoff", "emergency", "out_of_scope", "fallback",
                     "agent"]
    topic: str | None = None
    candidates: list[str] = []
    intent: str | None = None
    confidence: float | None = None
    agent: str | None = None  # the agent's display name, on agent messages


class Reply(BaseModel):
    id: int | None = None
    role: Literal["bot", "system", "agent"] = "bot"  # system: a notice from the service, not the bot's answer
    text: str
    buttons: list[Button] = []
    sources: list[SourceLink] = []
    meta: Meta


class Handoff(BaseModel):
    state: Literal["none", "offered", "queued", "active", "closed"]
    position: int | None = None
    wait_minutes: int | None = None


class MessageReplies(BaseModel):
    replies: list[Reply]
    language: Language
    handoff: Handoff


class TranscriptMessage(BaseModel):
    id: int
    role: Literal["user", "bot", "agent", "system"]
    text: str
    buttons: list[Button] = []
    sources: list[SourceLink] = []
    meta: Meta | None = None
    language: str | None = None
    created_at: str


class Transcript(BaseModel):
    conversation_id: str
    language: Language
    handoff: Handoff
    messages: list[TranscriptMessage]


class ErrorBody(BaseModel):
    detail: str


# Row ids are INTEGER columns (32-bit in PostgreSQL): a number outside them names no row, and the database
# driver would fail on it, so it is an invalid field rather than an unknown id.
MAX_ID = 2**31 - 1


class Feedback(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message_id: int = Field(ge=1, le=MAX_ID)
    value: Literal["up", "down"]
