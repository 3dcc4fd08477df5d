"""Chats and their conversations: the conversation engine's calls on behalf of a Telegram chat."""
from __future__ import annotations

import asyncio
import logging
import weakref

from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.channels.telegram import store
from bot.channels.telegram.callbacks import ReplyButton
from bot.gateway import store as gateway_store
from bot.gateway.conversation import ConversationService, Outcome
from bot.knowledge.articles import LANGUAGES

log = logging.getLogger(__name__)

CHANNEL = "telegram"


def language_hint(language_code: str | None) -> str | None:
    """One of the 14 languages from Telegram's IETF tag of the user's app ("pt-br" → "pt"), else None."""
    if not language_code:
        return None
    primary = language_code.strip().lower().replace("_", "-").split("-")[0]
    return primary if primary in LANGUAGES else None


def client_message_id(update_id: int) -> str:
    """The engine's idempotency key: a retried update stores and answers nothing twice."""
    return f"{CHANNEL}:{update_id}"


class Chats:
    def __init__(self, sessions: async_sessionmaker, service: ConversationService, default_language: str) -> None:
        self._sessions = sessions
        self._service = service
        self._default_language = default_language
        # Serialises the first messages of one chat in this process, so they make one conversation.
        self._creating: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    async def conversation(self, chat_id: int, hint: str | None = None) -> str:
        """The chat's conversation id; the chat's first message creates the conversation."""
        existing = await store.conversation_of(self._sessions, chat_id)
        if existing:
            return existing
        lock = self._creating.get(chat_id)
        if lock is None:
            lock = self._creating[chat_id] = asyncio.Lock()
        async with lock:
            existing = await store.conversation_of(self._sessions, chat_id)
            if existing:
                return existing
            # The app's language is only where the conversation starts (the greeting's language):
            # create(language=...) would lock it, but detection must still follow what the talent writes.
            conversation, _token = await self._service.create(None, CHANNEL, self._default_language, hint=hint)
            if await store.link(self._sessions, chat_id, conversation.id):
                return conversation.id
            # Another gateway process mapped the chat first: use its conversation, drop ours.
            await self._service.erase(conversation.id)
            winner = await store.conversation_of(self._sessions, chat_id)
            if winner is None:
                raise LookupError(f"chat {chat_id}: mapping vanished while it was being created")
            return winner

    async def existing(self, chat_id: int) -> str | None:
        return await store.conversation_of(self._sessions, chat_id)

    async def language(self, conversation_id: str | None, hint: str | None = None) -> str:
        """The conversation's language; before there is one, the app's language or the default."""
        if conversation_id:
            async with self._sessions() as session:
                conversation = await gateway_store.get_conversation(session, conversation_id)
            if conversation is not None:
                return conversation.language
        return hint or self._default_language

    async def post(self, chat_id: int, text: str, update_id: int, hint: str | None = None,
                   language: str | None = None) -> tuple[str, Outcome]:
        """The talent's message (or a button's payload) to the engine; its direct replies come back."""
        for attempt in (1, 2):
            conversation_id = await self.conversation(chat_id, hint)
            try:
                outcome = await self._service.post(conversation_id, text, language=language,
                                                   client_message_id=client_message_id(update_id))
            except LookupError:
                # Erased since the mapping was read (the cascade removes the mapping): start afresh once.
                if attempt == 2:
                    raise
                log.info("chat %s: conversation %s is gone; starting a new one", chat_id, conversation_id)
                await store.unlink(self._sessions, chat_id)
                continue
            return conversation_id, outcome
        raise AssertionError("unreachable")

    async def post_payload(self, chat_id: int, payload: str, update_id: int, hint: str | None = None,
                           language: str | None = None) -> tuple[str, Outcome]:
        """A button's or command's payload as the talent's message.

        Interim: before the talent has written anything, the engine would detect the language of the
        payload itself ("/human_handoff" reads as Portuguese), so the conversation's language is passed
        along, which also locks it; the talent can change it with /language."""
        if language is None:
            conversation_id = await self.conversation(chat_id, hint)
            async with self._sessions() as session:
                talked = await gateway_store.has_user_messages(session, conversation_id)
            if not talked:
                language = await self.language(conversation_id, hint)
        return await self.post(chat_id, payload, update_id, hint, language)

    async def payload(self, chat_id: int, button: ReplyButton) -> str | None:
        """The payload of a pressed button, from the stored bot message of this chat's conversation."""
        conversation_id = await store.conversation_of(self._sessions, chat_id)
        if conversation_id is None:
            return None
        for message in await self._service.transcript(conversation_id):
            if message["id"] == button.reply_id and message["role"] != "user":
                buttons = message.get("buttons") or []
                if 0 <= button.index < len(buttons):
                    payload = buttons[button.index].get("payload")
                    return payload if isinstance(payload, str) and payload else None
                return None
        return None

    async def erase(self, chat_id: int) -> bool:
        """Erase the chat's conversation everywhere and forget the chat; False if there was none."""
        conversation_id = await store.conversation_of(self._sessions, chat_id)
        if conversation_id is None:
            return False
        await self._service.erase(conversation_id)
        # The foreign key cascades in the database; this also covers stores without enforced keys.
        await store.unlink(self._sessions, chat_id)
        return True

    async def chat_of(self, conversation_id: str) -> int | None:
        return await store.chat_of(self._sessions, conversation_id)
