"""Short exchanges the gateway holds itself, without Rasa: leaving a call-back ticket and rating a handoff."""
from __future__ import annotations

import datetime as dt
import re

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.ext.asyncio import AsyncSession

from bot import messages as texts
from bot.dialogue.replies import reply as make_reply
from bot.gateway.models import Conversation, Ticket, utcnow

_RATING = re.compile(r"^\s*/?(?:rate\s*)?([1-5])\s*(?:/\s*5)?\s*$", re.IGNORECASE)
CANCEL = ("/ticket_cancel", "/deny")
MAX_QUESTION = 2000


def _cancel_button(lang: str) -> list[dict]:
    return [{"title": texts.text(lang, "button_cancel"), "payload": "/ticket_cancel"}]


def _say(lang: str, key: str, intent: str, buttons: list[dict] | None = None, **fields: object) -> dict:
    return make_reply(texts.text(lang, key, **fields), "handoff", lang=lang, intent=intent, buttons=buttons)


async def step(session: AsyncSession, conversation: Conversation, text: str, lang: str) -> list[dict] | None:
    """The gateway's replies for the conversation's open flow, or None when the talent moved on (the flow
    ends and the message goes to the bot as usual)."""
    flow, data = conversation.flow, dict(conversation.flow_data or {})
    command = text.strip()
    if flow == "rating":
        conversation.flow = None
        match = _RATING.match(command)
        if not match:
            return None
        conversation.rating = int(match.group(1))
        conversation.handoff_state = "none"
        return [make_reply(texts.text(lang, "rating_thanks"), "smalltalk", lang=lang, intent="rating")]
    if flow not in ("ticket_consent", "ticket_email", "ticket_question"):
        conversation.flow = None
        return None
    if command in CANCEL:
        conversation.flow, conversation.flow_data = None, {}
        return [_say(lang, "ticket_cancelled", "ticket_cancelled")]
    if flow == "ticket_consent":
        if command != "/ticket_consent":
            conversation.flow, conversation.flow_data = None, {}
            return None
        conversation.flow, conversation.flow_data = "ticket_email", {"consent_at": utcnow().isoformat()}
        return [_say(lang, "ticket_ask_email", "ticket_email", _cancel_button(lang))]
    if flow == "ticket_email":
        try:
            email = validate_email(command, check_deliverability=False).normalized
        except EmailNotValidError:
            return [_say(lang, "ticket_invalid_email", "ticket_email", _cancel_button(lang))]
        conversation.flow, conversation.flow_data = "ticket_question", {**data, "email": email}
        return [_say(lang, "ticket_ask_question", "ticket_question", _cancel_button(lang))]
    # ticket_question: whatever the talent writes is the question.
    session.add(Ticket(conversation_id=conversation.id, language=lang, channel=conversation.channel,
                       question=command[:MAX_QUESTION], email=data["email"],
                       consent_at=dt.datetime.fromisoformat(data["consent_at"])))
    conversation.flow, conversation.flow_data = None, {}
    return [_say(lang, "ticket_created", "ticket_created", email=data["email"])]
