"""One small handler per kind of update, the de-duplication in front of them, and the error handler."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from telegram import Chat, Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import messages
from bot.channels.telegram import callbacks, render, send, texts
from bot.channels.telegram.chats import Chats, language_hint
from bot.channels.telegram.ledger import UpdateLedger
from bot.gateway.conversation import Outcome

log = logging.getLogger(__name__)

DEPENDENCIES = "ihs"
Context = ContextTypes.DEFAULT_TYPE
# One conversation per person: in groups several people would share (and read) one conversation.
PRIVATE = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE


@dataclass(frozen=True)
class Dependencies:
    chats: Chats
    ledger: UpdateLedger
    max_message_chars: int


def _deps(context: Context) -> Dependencies:
    return context.bot_data[DEPENDENCIES]


def _hint(update: Update) -> str | None:
    return language_hint(update.effective_user.language_code if update.effective_user else None)


def switch_language_payload(language: str) -> str:
    """What choosing a language posts. action_switch_language finds the target by a language's name in
    the text (not by the entity), so the entity carries the language's own name, e.g. "Svenska"."""
    return "/switch_language" + json.dumps({"language": messages.language_name(language)}, ensure_ascii=False)


async def _send_outcome(context: Context, chat_id: int, outcome: Outcome) -> None:
    for reply in outcome.replies:
        await send.send_message(context.bot, chat_id, reply, outcome.language)


async def claim(update: Update, context: Context) -> None:
    """Let each update_id through once: a redelivered or concurrent copy stops here."""
    if not await _deps(context).ledger.claim(update.update_id):
        log.info("update %s was already processed; ignoring the copy", update.update_id)
        raise ApplicationHandlerStop


async def on_start(update: Update, context: Context) -> None:
    """/start: greet the talent and say how the chat's messages are kept."""
    chats, hint = _deps(context).chats, _hint(update)
    lang = await chats.language(await chats.conversation(update.effective_chat.id, hint), hint)
    greeting = f"{messages.text(lang, 'greet')}\n\n{messages.text(lang, 'privacy_notice')}"
    await send.send_text(context.bot, update.effective_chat.id, greeting)


async def on_language(update: Update, context: Context) -> None:
    """/language: offer the 14 languages by their own names."""
    chats, hint = _deps(context).chats, _hint(update)
    lang = await chats.language(await chats.existing(update.effective_chat.id), hint)
    await send.send_text(context.bot, update.effective_chat.id, texts.text(lang, "telegram_choose_language"),
                         render.language_keyboard())


async def on_human(update: Update, context: Context) -> None:
    """/human: ask for a person, as the "talk to a person" button does."""
    chat_id = update.effective_chat.id
    _, outcome = await _deps(context).chats.post_payload(chat_id, "/human_handoff", update.update_id, _hint(update))
    await _send_outcome(context, chat_id, outcome)


async def on_delete(update: Update, context: Context) -> None:
    """/delete: erase the conversation everywhere and confirm in the talent's language."""
    chats, chat_id = _deps(context).chats, update.effective_chat.id
    lang = await chats.language(await chats.existing(chat_id), _hint(update))
    await chats.erase(chat_id)
    await send.send_text(context.bot, chat_id, texts.text(lang, "conversation_deleted"))


async def on_text(update: Update, context: Context) -> None:
    """A text message: the talent's question or answer, to the conversation engine."""
    deps, chat_id, text = _deps(context), update.effective_chat.id, update.message.text
    if len(text) > deps.max_message_chars:
        lang = await deps.chats.language(await deps.chats.existing(chat_id), _hint(update))
        await send.send_text(context.bot, chat_id, texts.text(lang, "message_too_long", limit=deps.max_message_chars))
        return
    _, outcome = await deps.chats.post(chat_id, text, update.update_id, _hint(update))
    await _send_outcome(context, chat_id, outcome)


async def on_other_message(update: Update, context: Context) -> None:
    """A photo, sticker, voice message…: say that only text is read."""
    deps, chat_id = _deps(context), update.effective_chat.id
    lang = await deps.chats.language(await deps.chats.existing(chat_id), _hint(update))
    await send.send_text(context.bot, chat_id, texts.text(lang, "telegram_text_only"))


async def on_button(update: Update, context: Context) -> None:
    """A pressed inline button: its payload is posted as the talent's message."""
    query, chats = update.callback_query, _deps(context).chats
    # Keyboards are only ever sent to private chats; a press from anywhere else is answered, not posted.
    chat = update.effective_chat if update.effective_chat and update.effective_chat.type == Chat.PRIVATE else None
    pressed = callbacks.parse(query.data)
    payload, language, notice = None, None, None
    try:
        if chat is not None and isinstance(pressed, callbacks.LanguageChoice):
            payload, language = switch_language_payload(pressed.language), pressed.language
        elif chat is not None and isinstance(pressed, callbacks.ReplyButton):
            payload = await chats.payload(chat.id, pressed)
        if payload is None:
            lang = await chats.language(await chats.existing(chat.id) if chat else None, _hint(update))
            notice = texts.text(lang, "button_expired")
    finally:
        # Always answered, and before the engine runs: the talent's app shows a spinner until then.
        try:
            await query.answer(notice)
        except TelegramError as exc:
            log.warning("update %s: could not answer the callback query: %s", update.update_id, exc)
    if payload is None:
        return
    _, outcome = await chats.post_payload(chat.id, payload, update.update_id, _hint(update), language)
    await _send_outcome(context, chat.id, outcome)


async def on_error(update: object, context: Context) -> None:
    """Log the failure and tell the talent, never leaving them in silence; nothing else handles the update."""
    update_id = getattr(update, "update_id", None)
    log.error("update %s: %r", update_id, context.error, exc_info=context.error)
    chat = update.effective_chat if isinstance(update, Update) else None
    # A talent who blocked the bot cannot be told anything.
    if chat is not None and chat.type == Chat.PRIVATE and not isinstance(context.error, Forbidden):
        try:
            chats = _deps(context).chats
            lang = await chats.language(await chats.existing(chat.id), _hint(update))
            await send.send_text(context.bot, chat.id, messages.text(lang, "unavailable"))
        except Exception as exc:  # noqa: BLE001 - the failure is logged above; this is only the courtesy
            log.warning("update %s: could not tell the talent about the failure: %r", update_id, exc)
    raise ApplicationHandlerStop


def install(application: Application, dependencies: Dependencies) -> None:
    application.bot_data[DEPENDENCIES] = dependencies
    # Group -1 runs before the handlers (group 0), where only the first matching handler runs.
    application.add_handler(TypeHandler(Update, claim), group=-1)
    application.add_handler(CommandHandler("start", on_start, filters=PRIVATE))
    application.add_handler(CommandHandler("language", on_language, filters=PRIVATE))
    application.add_handler(CommandHandler("human", on_human, filters=PRIVATE))
    application.add_handler(CommandHandler("delete", on_delete, filters=PRIVATE))
    # Other commands are text to the engine, as the widget would send them.
    application.add_handler(MessageHandler(PRIVATE & filters.TEXT, on_text))
    application.add_handler(MessageHandler(PRIVATE, on_other_message))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_error_handler(on_error)
