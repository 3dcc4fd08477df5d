"""A webhook body as a Telegram Update, or a one-sentence reason why it is not one."""
from __future__ import annotations

import json

from telegram import Bot, Update

# The store keeps ids in BIGINT columns.
_INT64 = range(-(2**63), 2**63)


class BadUpdate(ValueError):
    """The body is not an update this bot can process; the message is the client's one sentence."""


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value in _INT64


def parse_update(body: bytes, bot: Bot) -> Update:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadUpdate("The request body is not valid JSON.") from exc
    if not isinstance(data, dict):
        raise BadUpdate(f"The update must be a JSON object, not {type(data).__name__}.")
    if not _is_id(data.get("update_id")):
        raise BadUpdate(f"The field 'update_id' must be a 64-bit integer, not {data.get('update_id')!r:.40}.")
    try:
        update = Update.de_json(data, bot)
    except Exception as exc:  # noqa: BLE001 - de_json raises whatever the garbled field provokes
        raise BadUpdate(f"The update could not be read: {type(exc).__name__}.") from exc
    _check(update)
    return update


def _check(update: Update) -> None:
    """The fields the handlers rely on have the types Telegram guarantees (de_json does not check them)."""
    chat, user = update.effective_chat, update.effective_user
    if chat is not None and not _is_id(chat.id):
        raise BadUpdate(f"The field 'chat.id' must be a 64-bit integer, not {chat.id!r:.40}.")
    if chat is not None and not isinstance(chat.type, str):
        raise BadUpdate(f"The field 'chat.type' must be a string, not {chat.type!r:.40}.")
    if user is not None and not _is_id(user.id):
        raise BadUpdate(f"The field 'from.id' must be a 64-bit integer, not {user.id!r:.40}.")
    if user is not None and user.language_code is not None and not isinstance(user.language_code, str):
        raise BadUpdate("The field 'from.language_code' must be a string.")
    message = update.message
    if message is not None and message.text is not None and not isinstance(message.text, str):
        raise BadUpdate("The field 'message.text' must be a string.")
    query = update.callback_query
    if query is not None and query.data is not None and not isinstance(query.data, str):
        raise BadUpdate("The field 'callback_query.data' must be a string.")
