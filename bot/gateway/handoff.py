"""The handoff to a person: queue, claim, agent replies, notes, transfer, close, and the events about them.

The gateway owns the handoff state; Rasa is paused while a person has the conversation (design.md) so
that its tracker shows the gap, and resumed with `action_listen` when the agent hands back.
"""
from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import messages as texts
from bot.dialogue.replies import reply as make_reply
from bot.gateway import accounts, events, store
from bot.gateway.hours import OpeningHours
from bot.gateway.models import Agent, AuditEntry, Conversation, Message, Note, Ticket, utcnow
from bot.gateway.pubsub import PubSub
from bot.gateway.rasa import RasaClient
from bot.gateway.settings import GatewaySettings

log = logging.getLogger(__name__)


class HandoffError(Exception):
    """An agent action that is not possible now; `status` is the HTTP status that says why."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


@dataclass
class QueuePlace:
    position: int
    wait_minutes: int


def aware(moment: dt.datetime | None) -> dt.datetime | None:
    # SQLite hands back naive datetimes for timezone-aware columns; they were stored in UTC.
    return moment.replace(tzinfo=dt.UTC) if moment is not None and moment.tzinfo is None else moment


class HandoffService:
    def __init__(self, sessions: async_sessionmaker, rasa: RasaClient, pubsub: PubSub,
                 settings: GatewaySettings) -> None:
        self._sessions = sessions
        self._rasa = rasa
        self._pubsub = pubsub
        self._settings = settings
        self._hours = OpeningHours.parse(settings.handoff_hours, settings.timezone)
        self._idle = dt.timedelta(minutes=settings.agent_idle_minutes)

    # The talent's side ------------------------------------------------------------------------------

    async def place(self, session: AsyncSession, conversation: Conversation) -> QueuePlace:
        ahead = await session.execute(select(func.count()).select_from(Conversation).where(
            Conversation.handoff_state == "queued", Conversation.queued_at <= conversation.queued_at))
        position = max(1, int(ahead.scalar_one()))
        online = max(1, await accounts.agents_online(session, self._idle))
        return QueuePlace(position, max(1, math.ceil(position * self._settings.handle_minutes / online)))

    async def handoff_view(self, session: AsyncSession, conversation: Conversation) -> dict:
        """The `handoff` object of API replies and websocket events."""
        view: dict = {"state": conversation.handoff_state}
        if conversation.handoff_state == "queued" and conversation.queued_at is not None:
            place = await self.place(session, conversation)
            view |= {"position": place.position, "wait_minutes": place.wait_minutes}
        return view

    async def request(self, session: AsyncSession, conversation: Conversation, lang: str) -> list[dict]:
        """The talent confirmed: join the queue, or, when nobody can take it, offer a call-back ticket."""
        queued = await session.execute(select(func.count()).select_from(Conversation).where(
            Conversation.handoff_state == "queued"))
        if not self._hours.is_open() or int(queued.scalar_one()) >= self._settings.queue_max:
            conversation.handoff_state, conversation.flow = "none", "ticket_consent"
            return [make_reply(texts.text(lang, "handoff_outside_hours"), "handoff", lang=lang,
                               intent="ticket_offer",
                               buttons=[{"title": texts.text(lang, "button_leave_question"),
                                         "payload": "/ticket_consent"},
                                        {"title": texts.text(lang, "button_no"), "payload": "/ticket_cancel"}])]
        conversation.handoff_state, conversation.queued_at, conversation.agent_id = "queued", utcnow(), None
        await session.flush()
        place = await self.place(session, conversation)
        await self._rasa_events(conversation.id, [{"event": "pause"}])
        await self.audit(session, None, "queued", conversation.id, {"reason": conversation.handoff_reason})
        await self._pubsub.publish(events.AGENTS, {"type": "queue"})
        return [make_reply(texts.text(lang, "handoff_queued", position=place.position, minutes=place.wait_minutes),
                           "handoff", lang=lang, intent="handoff_queued",
                           buttons=[{"title": texts.text(lang, "button_leave_queue"),
                                     "payload": "/handoff_cancel"}])]

    async def waiting(self, session: AsyncSession, conversation: Conversation, lang: str) -> list[dict]:
        place = await self.place(session, conversation)
        return [make_reply(texts.text(lang, "handoff_waiting", position=place.position,
                                      minutes=place.wait_minutes), "handoff", lang=lang, intent="handoff_waiting")]

    async def leave_queue(self, session: AsyncSession, conversation: Conversation, lang: str) -> list[dict]:
        conversation.handoff_state, conversation.queued_at = "none", None
        await self._rasa_events(conversation.id, [{"event": "resume"}, {"event": "action", "name": "action_listen"}])
        await self._pubsub.publish(events.AGENTS, {"type": "queue"})
        return [make_reply(texts.text(lang, "handoff_left_queue"), "smalltalk", lang=lang, intent="handoff_left")]

    async def talent_message(self, conversation: Conversation, message: Message) -> None:
        """While a person has the conversation, the agents' console sees each message as it comes."""
        await self._pubsub.publish(events.AGENTS, {"type": "message", "conversation_id": conversation.id,
                                                   "message": events.message_view(message, masked=True)})
        if conversation.handoff_state == "queued":
            await self._pubsub.publish(events.AGENTS, {"type": "queue"})

    async def talent_reply(self, conversation: Conversation, message: Message) -> None:
        """What the talent was told while waiting (queue place, privacy notice) also shows in the console."""
        await self._pubsub.publish(events.AGENTS, {"type": "message", "conversation_id": conversation.id,
                                                   "message": events.message_view(message, masked=True)})

    # The agent's side -------------------------------------------------------------------------------

    async def conversation_for(self, session: AsyncSession, agent: Agent, conversation_id: str,
                               *, write: bool = False) -> Conversation:
        """The conversation if this agent may see (or, with `write`, act in) it."""
        conversation = await store.get_conversation(session, conversation_id)
        if conversation is None:
            raise HandoffError(404, f"There is no conversation with the id '{conversation_id[:64]}'.")
        mine = conversation.agent_id == agent.id and conversation.handoff_state == "active"
        if agent.role == "supervisor" or mine:
            return conversation
        if write:
            raise HandoffError(403, "Only the agent who claimed this conversation can act in it.")
        if conversation.handoff_state == "queued":
            return conversation
        raise HandoffError(403, "This conversation is not in the queue and not assigned to you.")

    async def claim(self, agent: Agent, conversation_id: str) -> Conversation:
        async with self._sessions() as session:
            conversation = await store.get_conversation(session, conversation_id)
            if conversation is None:
                raise HandoffError(404, f"There is no conversation with the id '{conversation_id[:64]}'.")
            # A conditional update, so two agents claiming at once cannot both win.
            won = await store.claim(session, conversation_id, agent.id)
            if not won:
                raise HandoffError(409, "This conversation is no longer waiting in the queue.")
            await session.refresh(conversation)
            lang = conversation.language
            joined = make_reply(texts.text(lang, "handoff_active", agent=agent.display_name), "agent", lang=lang,
                                intent="handoff_active")
            joined["meta"]["agent"] = agent.display_name
            stored = await store.add_replies(session, conversation, None, [joined], role="system")
            await self.audit(session, agent.id, "claim", conversation_id)
            await session.commit()
        await self._announce(conversation, stored)
        return conversation

    async def agent_message(self, agent: Agent, conversation_id: str, text: str) -> Message:
        async with self._sessions() as session:
            conversation = await self.conversation_for(session, agent, conversation_id, write=True)
            if conversation.handoff_state != "active":
                raise HandoffError(409, "The conversation is not active: claim it first.")
            lang = conversation.language
            body = make_reply(text, "agent", lang=lang)
            body["meta"]["agent"] = agent.display_name
            [stored] = await store.add_replies(session, conversation, None, [body], role="agent")
            await self.audit(session, agent.id, "message", conversation_id)
            await session.commit()
        await self._announce(conversation, [stored])
        return stored

    async def note(self, agent: Agent, conversation_id: str, text: str) -> Note:
        async with self._sessions() as session:
            conversation = await self.conversation_for(session, agent, conversation_id, write=True)
            note = Note(conversation_id=conversation.id, agent_id=agent.id, text=text)
            session.add(note)
            await self.audit(session, agent.id, "note", conversation_id)
            await session.commit()
        await self._pubsub.publish(events.AGENTS, {"type": "note", "conversation_id": conversation_id,
                                                   "note": events.note_view(note, agent.display_name)})
        return note

    async def transfer(self, agent: Agent, conversation_id: str, username: str) -> Conversation:
        async with self._sessions() as session:
            conversation = await self.conversation_for(session, agent, conversation_id, write=True)
            target = await accounts.get_by_username(session, username)
            if target is None or not target.active:
                raise HandoffError(404, f"There is no active agent with the username '{username[:64]}'.")
            conversation.agent_id, conversation.handoff_state = target.id, "active"
            lang = conversation.language
            joined = make_reply(texts.text(lang, "handoff_active", agent=target.display_name), "agent", lang=lang,
                                intent="handoff_active")
            joined["meta"]["agent"] = target.display_name
            stored = await store.add_replies(session, conversation, None, [joined], role="system")
            await self.audit(session, agent.id, "transfer", conversation_id, {"to": target.username})
            await session.commit()
        await self._announce(conversation, stored)
        return conversation

    async def close(self, agent: Agent, conversation_id: str) -> Conversation:
        async with self._sessions() as session:
            conversation = await self.conversation_for(session, agent, conversation_id, write=True)
            if conversation.handoff_state not in ("active", "queued"):
                raise HandoffError(409, "The conversation has no open handoff to close.")
            lang = conversation.language
            conversation.handoff_state, conversation.flow, conversation.queued_at = "closed", "rating", None
            closed = make_reply(texts.text(lang, "handoff_closed"), "smalltalk", lang=lang, intent="handoff_closed")
            rating = make_reply(texts.text(lang, "rating_request"), "smalltalk", lang=lang, intent="rating_request",
                                buttons=[{"title": str(n), "payload": f"/rate {n}"} for n in range(1, 6)])
            stored = await store.add_replies(session, conversation, None, [closed], role="system")
            stored += await store.add_replies(session, conversation, None, [rating], role="bot")
            await self.audit(session, agent.id, "close", conversation_id)
            await session.commit()
        await self._rasa_events(conversation_id, [{"event": "resume"}, {"event": "action", "name": "action_listen"}])
        await self._announce(conversation, stored)
        return conversation

    async def tickets(self) -> list[Ticket]:
        async with self._sessions() as session:
            result = await session.execute(select(Ticket).order_by(Ticket.status.desc(), Ticket.created_at))
            return list(result.scalars())

    async def ticket_done(self, agent: Agent, ticket_id: int) -> Ticket:
        async with self._sessions() as session:
            ticket = await session.get(Ticket, ticket_id)
            if ticket is None:
                raise HandoffError(404, f"There is no ticket with the id {ticket_id}.")
            ticket.status = "done"
            await self.audit(session, agent.id, "ticket_done", ticket.conversation_id, {"ticket": ticket_id})
            await session.commit()
        await self._pubsub.publish(events.AGENTS, {"type": "tickets"})
        return ticket

    # Shared -----------------------------------------------------------------------------------------

    @staticmethod
    async def audit(session: AsyncSession, agent_id: int | None, action: str, conversation_id: str | None,
                    detail: dict | None = None) -> None:
        session.add(AuditEntry(agent_id=agent_id, action=action, conversation_id=conversation_id,
                               detail=detail or {}))

    async def _announce(self, conversation: Conversation, stored: list[Message]) -> None:
        """Messages that are not a reply to the talent's request go out on every channel's feed."""
        async with self._sessions() as session:
            fresh = await store.get_conversation(session, conversation.id)
            handoff = await self.handoff_view(session, fresh) if fresh else {"state": conversation.handoff_state}
        for message in stored:
            await events.to_talent(self._pubsub, conversation, {"type": "message",
                                                               "message": events.message_view(message)})
            await self._pubsub.publish(events.AGENTS, {"type": "message", "conversation_id": conversation.id,
                                                       "message": events.message_view(message, masked=True)})
        await events.to_talent(self._pubsub, conversation, {"type": "handoff", **handoff})
        await self._pubsub.publish(events.AGENTS, {"type": "handoff", "conversation_id": conversation.id,
                                                   "state": handoff["state"]})
        await self._pubsub.publish(events.AGENTS, {"type": "queue"})

    async def _rasa_events(self, conversation_id: str, tracker_events: list[dict]) -> None:
        try:
            await self._rasa.append_events(conversation_id, tracker_events)
        except Exception as exc:  # noqa: BLE001 - the gateway's state decides; Rasa catches up on resume
            log.warning("conversation %s: could not send %s to Rasa: %r", conversation_id,
                        [e["event"] for e in tracker_events], exc)
