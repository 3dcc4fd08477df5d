"""Request and response bodies of the agent API."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Login(_Strict):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class AgentView(BaseModel):
    id: int
    username: str
    display_name: str
    role: Literal["agent", "supervisor"]
    active: bool = True


class LoggedIn(BaseModel):
    agent: AgentView
    csrf_token: str


class Text(_Strict):
    text: str = Field(min_length=1, max_length=4000)

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text must not be blank")
        return value


class Transfer(_Strict):
    username: str = Field(min_length=1, max_length=64)


class AgentAccount(_Strict):
    username: str = Field(min_length=2, max_length=64)
    display_name: str | None = Field(default=None, max_length=128)
    password: str | None = Field(default=None, max_length=1024)
    role: Literal["agent", "supervisor"] = "agent"
