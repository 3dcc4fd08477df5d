"""Dependencies of the routes, as Annotated aliases."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.gateway import store
from bot.gateway.conversation import ConversationService
from bot.gateway.models import Conversation
from bot.gateway.settings import GatewaySettings

_bearer = HTTPBearer(auto_error=False, description="The token returned when the conversation was created.")


def _settings(request: Request) -> GatewaySettings:
    return request.app.state.settings


def _service(request: Request) -> ConversationService:
    return request.app.state.conversations


Settings = Annotated[GatewaySettings, Depends(_settings)]
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
