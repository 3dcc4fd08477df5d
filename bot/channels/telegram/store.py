"""The channel's tables (migration 0003): chat-to-conversation mapping and processed update ids."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

# Core tables in their own metadata: the gateway's ORM models belong to another module, and these
# rows are only ever read and written here. The foreign key and indexes live in the migration.
metadata = sa.MetaData()

chats = sa.Table(
    "telegram_chats", metadata,
    sa.Column("chat_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("conversation_id", sa.String(36), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

updates = sa.Table(
    "telegram_updates", metadata,
    sa.Column("update_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def claim_update(sessions: async_sessionmaker, update_id: int) -> bool:
    """Record `update_id` as processed; False if it already was (a redelivery, or a concurrent copy)."""
    async with sessions() as session:
        try:
            await session.execute(sa.insert(updates).values(update_id=update_id, received_at=_now()))
            await session.commit()
        except IntegrityError:
            await session.rollback()
            return False
    return True


async def forget_updates(sessions: async_sessionmaker, older_than: dt.timedelta) -> int:
    """Drop processed ids older than Telegram would ever redeliver; returns how many."""
    async with sessions() as session:
        result = await session.execute(sa.delete(updates).where(updates.c.received_at < _now() - older_than))
        await session.commit()
        return result.rowcount or 0


async def conversation_of(sessions: async_sessionmaker, chat_id: int) -> str | None:
    async with sessions() as session:
        result = await session.execute(sa.select(chats.c.conversation_id).where(chats.c.chat_id == chat_id))
        return result.scalar_one_or_none()


async def chat_of(sessions: async_sessionmaker, conversation_id: str) -> int | None:
    async with sessions() as session:
        result = await session.execute(sa.select(chats.c.chat_id).where(chats.c.conversation_id == conversation_id))
        return result.scalar_one_or_none()


async def link(sessions: async_sessionmaker, chat_id: int, conversation_id: str) -> bool:
    """Map the chat to the conversation; False if the chat was mapped first by someone else."""
    async with sessions() as session:
        try:
            await session.execute(sa.insert(chats).values(chat_id=chat_id, conversation_id=conversation_id,
                                                          created_at=_now()))
            await session.commit()
        except IntegrityError:
            await session.rollback()
            return False
    return True


async def unlink(sessions: async_sessionmaker, chat_id: int) -> None:
    async with sessions() as session:
        await session.execute(sa.delete(chats).where(chats.c.chat_id == chat_id))
        await session.commit()
