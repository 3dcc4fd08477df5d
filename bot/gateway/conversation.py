"""Handling one talent message: store it, ask Rasa, store the replies, then publish them."""
from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import messages as texts
from bot.dialogue.replies import reply as make_reply
from bot.gateway import flows, store
from bot.gateway.events import message_view
from bot.gateway.handoff import HandoffService
from bot.gateway.models import Conversation, Message
from bot.gateway.pubsub import PubSub
from bot.gateway.rasa import RasaClient, RasaUnavailable
from bot.knowledge.articles import LANGUAGES
from bot.nlp.language import detect
from bot.privacy import find as find_personal_data
from bot.privacy import redact

log = logging.getLogger(__name__)

HANDOFF_STATES = ("none", "offered", "queued", "active", "closed")


@dataclass
class Outcome:
    replies: list[dict]
    language: str
    handoff: dict

    @property
    def handoff_state(self) -> str:
        return self.handoff["state"]


def reply_view(message: Message) -> dict:
    payload = message.payload or {}
    return {"id": message.id, "role": message.role, "text": message.text, "buttons": payload.get("buttons") or [],
            "sources": payload.get("sources") or [], "meta": payload.get("meta") or {}}


def normalise(rasa_message: dict, lang: str) -> dict | None:
    """Rasa's REST output as a Reply; our actions send everything as custom JSON."""
    custom = rasa_message.get("custom")
    if isinstance(custom, dict) and isinstance(custom.get("text"), str):
        return custom
    if isinstance(rasa_message.get("text"), str):
        return make_reply(rasa_message["text"], "fallback", lang=lang,
                          buttons=rasa_message.get("buttons") or [])
    return None


class ConversationService:
    def __init__(self, sessions: async_sessionmaker, rasa: RasaClient, pubsub: PubSub,
                 handoff: HandoffService) -> None:
        self._sessions = sessions
        self._rasa = rasa
        self._pubsub = pubsub
        self._handoff = handoff
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._waiting: dict[str, int] = defaultdict(int)

    @asynccontextmanager
    async def _serialised(self, conversation_id: str):
        """One message of a conversation at a time, in arrival order (asyncio.Lock is FIFO)."""
        self._waiting[conversation_id] += 1
        try:
            async with self._locks[conversation_id]:
                yield
        finally:
            self._waiting[conversation_id] -= 1
            if not self._waiting[conversation_id]:
                del self._waiting[conversation_id]
                self._locks.pop(conversation_id, None)

    async def post(self, conversation_id: str, text: str, language: str | None,
                   client_message_id: str | None) -> Outcome:
        async with self._serialised(conversation_id), self._sessions() as session:
            conversation = await store.get_conversation(session, conversation_id)
            if conversation is None:
                raise LookupError(conversation_id)
            if client_message_id:
                earlier = await store.find_by_client_id(session, conversation_id, client_message_id)
                if earlier is not None:
                    done = await store.replies_to(session, earlier.id)
                    if done:
                        return Outcome([reply_view(m) for m in done], earlier.language or conversation.language,
                                       await self._handoff.handoff_view(session, conversation))
                    return await self._process(session, conversation, earlier)
            known = await store.has_user_messages(session, conversation.id)
            lang = self._language(conversation, text, language, known)
            message = await store.add_user_message(session, conversation, text, lang, client_message_id)
            if message is None:
                # Another gateway process stored the same client id first: answer as a retry would,
                # with what it has stored so far (the lock above only orders this process's messages).
                earlier = await store.find_by_client_id(session, conversation_id, client_message_id or "")
                done = await store.replies_to(session, earlier.id) if earlier else []
                return Outcome([reply_view(m) for m in done], lang,
                               await self._handoff.handoff_view(session, conversation))
            return await self._process(session, conversation, message)

    def _language(self, conversation: Conversation, text: str, requested: str | None, known: bool) -> str:
        """The message's language: asked for, locked by an earlier switch, or detected; before the
        first message the conversation's language is only a default and does not hold detection back."""
        if requested:
            conversation.language, conversation.language_locked = requested, True
            return requested
        if conversation.language_locked or text.lstrip().startswith("/"):
            # Button payloads ("/affirm", "/human_handoff") say nothing about the talent's language.
            return conversation.language
        lang = detect(text, conversation.language if known else None)
        conversation.language = lang
        return lang

    async def _process(self, session: AsyncSession, conversation: Conversation, message: Message) -> Outcome:
        await self._pubsub.publish(conversation.id, {"type": "message", "message": message_view(message)})
        lang = message.language or conversation.language
        warn = (not conversation.pii_warned and conversation.flow != "ticket_email"
                and bool(find_personal_data(message.text)))
        replies = await self._without_bot(session, conversation, message, lang)
        if replies is None:
            replies = await self._ask_rasa(conversation, message, lang)
            replies += await self._apply(session, conversation, replies, lang)
        stored = await store.add_replies(session, conversation, message.id, replies)
        if warn:
            conversation.pii_warned = True
            notice = make_reply(texts.text(lang, "pii_warning"), "smalltalk", lang=lang, intent="pii_warning")
            stored += await store.add_replies(session, conversation, message.id, [notice], role="system")
        for m in stored:
            await self._pubsub.publish(conversation.id, {"type": "message", "message": message_view(m)})
        if conversation.handoff_state in ("queued", "active"):
            for m in stored:
                await self._handoff.talent_reply(conversation, m)
        handoff = await self._handoff.handoff_view(session, conversation)
        await self._pubsub.publish(conversation.id, {"type": "handoff", **handoff})
        return Outcome([reply_view(m) for m in stored], conversation.language, handoff)

    async def _without_bot(self, session: AsyncSession, conversation: Conversation, message: Message,
                           lang: str) -> list[dict] | None:
        """Replies that the gateway gives itself (a person has the conversation, or a flow of its own is
        open), or None when the message is for the bot."""
        text = message.text.strip()
        if conversation.handoff_state == "queued" and text == "/handoff_cancel":
            return await self._handoff.leave_queue(session, conversation, lang)
        if conversation.handoff_state in ("queued", "active"):
            # A person has the conversation: the message waits for the agent, the bot stays silent.
            await session.commit()
            await self._handoff.talent_message(conversation, message)
            if conversation.handoff_state == "queued":
                return await self._handoff.waiting(session, conversation, lang)
            return []
        if conversation.flow:
            return await flows.step(session, conversation, message.text, lang)
        return None

    async def _ask_rasa(self, conversation: Conversation, message: Message, lang: str) -> list[dict]:
        try:
            # Rasa keeps its own tracker: it gets the text with personal data masked.
            raw = await self._rasa.send(conversation.id, redact(message.text),
                                        {"language": lang, "channel": conversation.channel})
            replies = [r for r in (normalise(m, lang) for m in raw) if r is not None]
            if not replies:
                raise RasaUnavailable("Rasa answered with no messages (is the action server down?)")
            return replies
        except RasaUnavailable as exc:
            log.warning("conversation %s: %s", conversation.id, exc)
            return [make_reply(texts.text(lang, "unavailable"), "fallback", lang=lang,
                               buttons=[{"title": texts.text(lang, "button_human"),
                                         "payload": "/human_handoff"}])]

    async def _apply(self, session: AsyncSession, conversation: Conversation, replies: list[dict],
                     lang: str) -> list[dict]:
        """Language switches, topics and handoff requests that the replies carry; returns further replies."""
        handoff, reason = None, None
        for r in replies:
            meta = r.get("meta") or {}
            if meta.get("intent") == "switch_language" and r.get("language") in LANGUAGES:
                conversation.language, conversation.language_locked = r["language"], True
            if meta.get("outcome") == "answer" and meta.get("topic"):
                conversation.topic = meta["topic"]
            if r.get("handoff"):
                handoff, reason = r["handoff"], meta.get("intent")
        if handoff == "offer":
            conversation.handoff_state = "offered"
            conversation.handoff_reason = "fallback" if reason in ("nlu_fallback", "ask_question") else reason
        elif handoff == "request":
            further = await self._handoff.request(session, conversation, lang)
            if conversation.handoff_state != "queued":
                # Nobody can take it now: the call-back offer replaces "I'm connecting you".
                replies[:] = [r for r in replies if r.get("handoff") != "request"]
            return further
        elif conversation.handoff_state in ("offered", "closed"):
            conversation.handoff_state = "none"
        return []

    async def create(self, language: str | None, channel: str, default_language: str,
                     hint: str | None = None) -> tuple[Conversation, str]:
        """A new conversation; `language` locks the language, a `hint` (e.g. Telegram's) only starts with it."""
        start = language or (hint if hint in LANGUAGES else None) or default_language
        async with self._sessions() as session:
            return await store.create_conversation(session, start, channel, language_locked=language is not None)

    async def feedback(self, conversation_id: str, message_id: int, value: str) -> bool:
        """Thumbs up or down on one of the bot's answers; False if it is not a bot message of this conversation."""
        async with self._sessions() as session:
            message = await session.get(Message, message_id)
            if message is None or message.conversation_id != conversation_id or message.role != "bot":
                return False
            message.payload = {**(message.payload or {}), "feedback": value}
            await session.commit()
            return True

    async def handoff_of(self, conversation_id: str) -> dict:
        async with self._sessions() as session:
            conversation = await store.get_conversation(session, conversation_id)
            return await self._handoff.handoff_view(session, conversation) if conversation else {"state": "none"}

    async def transcript(self, conversation_id: str) -> list[dict]:
        async with self._sessions() as session:
            return [message_view(m) for m in await store.transcript(session, conversation_id)]

    async def erase(self, conversation_id: str) -> None:
        async with self._serialised(conversation_id), self._sessions() as session:
            await store.delete_conversation(session, conversation_id)
        try:
            await self._rasa.erase(conversation_id)
        except Exception as exc:  # noqa: BLE001 - erasure in the gateway stands even if Rasa is down
            log.warning("conversation %s: could not erase Rasa's tracker: %r", conversation_id, exc)
        await self._pubsub.publish(conversation_id, {"type": "erased"})
