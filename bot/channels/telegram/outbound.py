"""Out-of-band messages to Telegram chats: agents' replies, "agent joined", the rating request…

The conversation engine publishes on the pubsub channel "outbound" everything that is not a direct
reply to the talent's own message. Message events are sent to the conversation's chat; handoff-state
events carry no text of their own (the texts come as message events), so Telegram has nothing to show.
"""
from __future__ import annotations

import asyncio
import logging

from telegram import Bot
from telegram.error import Forbidden, TelegramError

from bot.channels.telegram import send
from bot.channels.telegram.chats import CHANNEL, Chats

log = logging.getLogger(__name__)

TOPIC = "outbound"


async def deliver(bot: Bot, chats: Chats, event: dict) -> bool:
    """Send one event's message to its chat; False if it is not for Telegram or has no chat."""
    if event.get("channel") != CHANNEL or event.get("type") != "message":
        return False
    conversation_id, message = event.get("conversation_id"), event.get("message")
    if not isinstance(conversation_id, str) or not isinstance(message, dict):
        log.warning("outbound event without a conversation_id or message: %r", event)
        return False
    chat_id = await chats.chat_of(conversation_id)
    if chat_id is None:
        log.info("conversation %s has no Telegram chat (erased?); message %s not sent",
                 conversation_id, message.get("id"))
        return False
    lang = message.get("language") or await chats.language(conversation_id)
    await send.send_message(bot, chat_id, message, lang)
    return True


async def forward(queue: asyncio.Queue, bot: Bot, chats: Chats, ready: asyncio.Event) -> None:
    """Runs for the gateway's lifetime; one failed event never stops the others."""
    await ready.wait()
    while True:
        event = await queue.get()
        try:
            await deliver(bot, chats, event)
        except Forbidden as exc:
            log.info("conversation %s: the talent blocked the bot: %s", event.get("conversation_id"), exc)
        except (TelegramError, LookupError, ValueError) as exc:
            log.error("conversation %s: could not send an outbound message: %r", event.get("conversation_id"), exc)
        except Exception:  # noqa: BLE001 - a bug here must not silence every later agent message
            log.exception("conversation %s: outbound message failed", event.get("conversation_id"))
