"""The channel's own texts: from bot/messages where the key exists, else interim English.

The keys below are not in the message catalogues yet; once `bot/messages/<lang>.yml` has them, the
translations are used without a change here.
"""
from __future__ import annotations

from bot import messages

INTERIM_EN = {
    "telegram_choose_language": "Which language should I answer in?",
    "telegram_text_only": "I can only read text messages. Please write your question in words.",
    "message_too_long": "Your message is too long. Please shorten it to at most {limit} characters.",
    "button_expired": "This button no longer works. Please write your question instead.",
}


def text(lang: str, key: str, **fields: object) -> str:
    """The message `key` in `lang` (else English); interim English while the catalogue lacks the key."""
    if messages.has(lang, key) or messages.has(messages.FALLBACK, key):
        return messages.text(lang, key, **fields)
    template = INTERIM_EN.get(key)
    if template is None:
        raise KeyError(f"message key {key!r} is missing in {messages.FALLBACK}.yml and has no interim text")
    return template.format(**fields) if fields else template
