"""Deleting what is no longer needed: conversations and tickets after the retention period, by itself."""
from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.gateway.models import AuditEntry, Conversation, Message, Ticket, utcnow
from bot.gateway.rasa import RasaClient

log = logging.getLogger(__name__)
AUDIT_DAYS = 365  # agent actions, without message texts, are kept a year for accountability


async def purge(sessions: async_sessionmaker, rasa: RasaClient, days: float,
                now: dt.datetime | None = None) -> int:
    """Delete conversations untouched for `days` (with their messages, notes and tickets) and Rasa's
    trackers of them; returns how many conversations went."""
    cutoff = (now or utcnow()) - dt.timedelta(days=days)
    async with sessions() as session:
        old = list((await session.execute(
            select(Conversation.id).where(Conversation.updated_at < cutoff))).scalars())
        for conversation_id in old:
            try:
                await rasa.erase(conversation_id)
            except Exception as exc:  # noqa: BLE001 - the gateway's copy goes anyway; Rasa's is retried never
                log.warning("retention: could not erase Rasa's tracker of %s: %r", conversation_id, exc)
        if old:
            await session.execute(delete(Message).where(Message.conversation_id.in_(old)))
            await session.execute(delete(Conversation).where(Conversation.id.in_(old)))
        await session.execute(delete(Ticket).where(Ticket.created_at < cutoff))
        await session.execute(delete(AuditEntry).where(
            AuditEntry.created_at < (now or utcnow()) - dt.timedelta(days=AUDIT_DAYS)))
        await session.commit()
    if old:
        log.info("retention: deleted %d conversations older than %s days", len(old), days)
    return len(old)


async def run_until(stop: asyncio.Event, sessions: async_sessionmaker, rasa: RasaClient, days: float,
                    every_s: float) -> None:
    """The retention job: once at start-up, then every `every_s` seconds, until `stop` is set.

    It is stopped by the event, not cancelled: a run cancelled in the middle of a database call leaves a
    connection closing in the background while the gateway disposes of the engine, and that shutdown
    could hang. A run in progress finishes first."""
    while not stop.is_set():
        try:
            await purge(sessions, rasa, days)
        except Exception:  # a failed run is retried at the next interval, the gateway keeps serving
            log.exception("retention: the run failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every_s)
