"""Telegram's webhook: updates for the bot arrive here (IHS_TELEGRAM_MODE=webhook)."""
from __future__ import annotations

import hmac

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse

from bot.channels.telegram.parse import BadUpdate, parse_update

router = APIRouter(include_in_schema=False)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@router.post("/telegram/webhook")
async def telegram_webhook(request: Request) -> JSONResponse:
    """Checks Telegram's secret before reading the body, then processes the update once."""
    channel = getattr(request.app.state, "telegram", None)
    if channel is None or channel.mode != "webhook":
        raise HTTPException(404, "The Telegram webhook is not enabled on this gateway.")
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), channel.secret_token.encode()):
        raise HTTPException(403, "The Telegram secret token header is missing or wrong.")
    if not channel.ready.is_set():
        # Telegram retries later; the update is not lost.
        raise HTTPException(503, "The Telegram channel is still connecting; please retry.",
                            headers={"Retry-After": "5"})
    try:
        update = parse_update(await request.body(), channel.application.bot)
    except BadUpdate as exc:
        raise HTTPException(400, str(exc)) from exc
    await channel.process(update)
    return JSONResponse({"ok": True})
