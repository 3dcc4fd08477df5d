"""Reading and writing conversations and messages."""
from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.gateway.models import Conversation, Message, utcnow


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(conversation: Conversation, token: str) -> bool:
    return hmac.compare_digest(conversation.token_hash, hash_token(token))


async def create_conversation(session: AsyncSession, language: str, channel: str,
                              language_locked: bool) -> tuple[Conversation, str]:
    token = secrets.token_urlsafe(32)
    conversation = Conversation(id=str(uuid.uuid4()), token_hash=hash_token(token), channel=channel,
                                language=language, language_locked=language_locked, handoff_state="none")
    session.add(conversation)
    await session.commit()
    return conversation, token


async def get_conversation(session: AsyncSession, conversation_id: str) -> Conversation | None:
    return await session.get(Conversation, conversation_id)


async def find_by_client_id(session: AsyncSession, conversation_id: str, client_message_id: str) -> Message | None:
    result = await session.execute(select(Message).where(
        Message.conversation_id == conversation_id, Message.client_message_id == client_message_id))
    return result.scalar_one_or_none()


async def has_user_messages(session: AsyncSession, conversation_id: str) -> bool:
    result = await session.execute(select(Message.id).where(
        Message.conversation_id == conversation_id, Message.role == "user").limit(1))
    return result.first() is not None


async def add_user_message(session: AsyncSession, conversation: Conversation, text: str, language: str,
                           client_message_id: str | None) -> Message | None:
    """Store the message before anything processes it; None if that client id is already stored."""
    message = Message(conversation_id=conversation.id, role="user", text=text, payload={},
                      client_message_id=client_message_id, language=language)
    conversation.updated_at = utcnow()  # retention counts from the talent's last message
    session.add(message)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        return None
    return message


async def add_replies(session: AsyncSession, conversation: Conversation, reply_to: int | None,
                      replies: list[dict], role: str = "bot") -> list[Message]:
    stored = [Message(conversation_id=conversation.id, role=role, text=r["text"],
                      payload={k: r.get(k) for k in ("buttons", "sources", "meta")},
                      reply_to=reply_to, language=r.get("language") or conversation.language)
              for r in replies]
    session.add_all(stored)
    await session.commit()
    return stored


async def replies_to(session: AsyncSession, message_id: int) -> list[Message]:
    result = await session.execute(select(Message).where(Message.reply_to == message_id).order_by(Message.id))
    return list(result.scalars())


async def transcript(session: AsyncSession, conversation_id: str) -> list[Message]:
    result = await session.execute(
        select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id))
    return list(result.scalars())


async def delete_conversation(session: AsyncSession, conversation_id: str) -> None:
    await session.execute(delete(Message).where(Message.conversation_id == conversation_id))
    await session.execute(delete(Conversation).where(Conversation.id == conversation_id))
    await session.commit()


async def claim(session: AsyncSession, conversation_id: str, agent_id: int) -> bool:
    """Assign a queued conversation to the agent; False if it was not queued (any more)."""
    result = await session.execute(
        update(Conversation)
        .where(Conversation.id == conversation_id, Conversation.handoff_state == "queued")
        .values(handoff_state="active", agent_id=agent_id)
        .execution_options(synchronize_session=False))
    await session.commit()
    return result.rowcount == 1


async def handoffs(session: AsyncSession, agent_id: int | None) -> list[Conversation]:
    """Queued conversations, oldest first, then active ones (the agent's own, or all when None)."""
    active = Conversation.handoff_state == "active"
    if agent_id is not None:
        active = active & (Conversation.agent_id == agent_id)
    result = await session.execute(select(Conversation).where(
        or_(Conversation.handoff_state == "queued", active)).order_by(Conversation.queued_at, Conversation.id))
    return list(result.scalars())


async def last_user_message(session: AsyncSession, conversation_id: str) -> Message | None:
    result = await session.execute(select(Message).where(
        Message.conversation_id == conversation_id, Message.role == "user",
        ~Message.text.startswith("/")).order_by(Message.id.desc()).limit(1))
    return result.scalar_one_or_none()
