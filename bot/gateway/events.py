"""The events the gateway publishes, and the views of stored rows that they carry."""
from __future__ import annotations

from bot.gateway.models import Conversation, Message, Note
from bot.gateway.pubsub import PubSub
from bot.privacy import redact

AGENTS = "agents"  # the consoles' feed: queue changes, messages of handed-off conversations, notes
OUTBOUND = "outbound"  # out-of-band messages for channels that push to the talent (Telegram)


def message_view(message: Message, *, masked: bool = False) -> dict:
    """A stored message as the API shows it; `masked` hides personal data for views beyond the talent's own."""
    payload = message.payload or {}
    return {
        "id": message.id,
        "role": message.role,
        "text": redact(message.text) if masked else message.text,
        "buttons": payload.get("buttons") or [],
        "sources": payload.get("sources") or [],
        "meta": payload.get("meta") or None,
        "language": message.language,
        "created_at": message.created_at.isoformat(),
    }


def note_view(note: Note, agent_name: str | None) -> dict:
    return {"id": note.id, "text": note.text, "agent": agent_name, "created_at": note.created_at.isoformat()}


async def to_talent(pubsub: PubSub, conversation: Conversation, event: dict) -> None:
    """An event for the talent's open connections, and for channels that deliver it themselves."""
    await pubsub.publish(conversation.id, event)
    # Channels that push (Telegram) send from the replica where the event happened: through Redis every
    # replica would send it, and the talent would get it once per replica.
    pubsub.publish_local(OUTBOUND, {**event, "conversation_id": conversation.id, "channel": conversation.channel})
