"""Dependencies of the routes, as Annotated aliases."""
from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.gateway import accounts, store
from bot.gateway.conversation import ConversationService
from bot.gateway.handoff import HandoffService
from bot.gateway.models import Agent, AgentSession, Conversation
from bot.gateway.ratelimit import RateLimits
from bot.gateway.settings import GatewaySettings

_bearer = HTTPBearer(auto_error=False, description="The token returned when the conversation was created.")


def _settings(request: Request) -> GatewaySettings:
    return request.app.state.settings


def _service(request: Request) -> ConversationService:
    return request.app.state.conversations


def _rate_limits(request: Request) -> RateLimits:
    return request.app.state.rate_limits


Settings = Annotated[GatewaySettings, Depends(_settings)]
Limits = Annotated[RateLimits, Depends(_rate_limits)]
Service = Annotated[ConversationService, Depends(_service)]


async def _authorized(conversation_id: str, request: Request,
                      credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Conversation:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise HTTPException(401, "A Bearer token is required for this conversation.",
                            headers={"WWW-Authenticate": "Bearer"})
    return await authorize(request.app.state.sessions, conversation_id, credentials.credentials)


async def authorize(sessions: async_sessionmaker, conversation_id: str, token: str) -> Conversation:
    async with sessions() as session:
        conversation = await store.get_conversation(session, conversation_id)
    if conversation is None:
        raise HTTPException(404, f"There is no conversation with the id '{conversation_id[:64]}'.")
    if not store.token_matches(conversation, token):
        raise HTTPException(403, "The token does not belong to this conversation.")
    return conversation


AuthorizedConversation = Annotated[Conversation, Depends(_authorized)]


AGENT_COOKIE = "ihs_agent"
CSRF_COOKIE = "ihs_csrf"


def _handoff(request: Request) -> HandoffService:
    return request.app.state.handoff


Handoff = Annotated[HandoffService, Depends(_handoff)]


@dataclass
class AgentLogin:
    agent: Agent
    session: AgentSession
    token: str


async def agent_login(sessions: async_sessionmaker, settings: GatewaySettings, token: str | None) -> AgentLogin:
    """The logged-in agent behind a session cookie, or 401."""
    if not token:
        raise HTTPException(401, "Log in as an agent first.")
    async with sessions() as session:
        found = await accounts.resume_session(session, token, dt.timedelta(minutes=settings.agent_idle_minutes))
    if found is None:
        raise HTTPException(401, "The agent session has expired or is unknown; log in again.")
    return AgentLogin(found[0], found[1], token)


async def _current_agent(request: Request) -> AgentLogin:
    return await agent_login(request.app.state.sessions, request.app.state.settings,
                             request.cookies.get(AGENT_COOKIE))


async def _checked_agent(request: Request, login: Annotated[AgentLogin, Depends(_current_agent)]) -> AgentLogin:
    """Changes need the CSRF token in a header: another site's form cannot set it."""
    sent = request.headers.get("x-csrf-token", "")
    if not sent or not hmac.compare_digest(sent, login.session.csrf_token):
        raise HTTPException(403, "The X-CSRF-Token header is missing or does not match the session.")
    return login


async def _supervisor(login: Annotated[AgentLogin, Depends(_checked_agent)]) -> AgentLogin:
    if login.agent.role != "supervisor":
        raise HTTPException(403, "Only a supervisor can manage agents.")
    return login


async def _supervisor_reading(login: Annotated[AgentLogin, Depends(_current_agent)]) -> AgentLogin:
    if login.agent.role != "supervisor":
        raise HTTPException(403, "Only a supervisor can manage agents.")
    return login


CurrentAgent = Annotated[AgentLogin, Depends(_current_agent)]
CheckedAgent = Annotated[AgentLogin, Depends(_checked_agent)]
Supervisor = Annotated[AgentLogin, Depends(_supervisor)]
SupervisorReading = Annotated[AgentLogin, Depends(_supervisor_reading)]
