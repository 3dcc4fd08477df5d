"""Building replies in the API's Reply shape: text, buttons, sources and meta."""
from __future__ import annotations

from typing import Any

from bot import messages

Reply = dict[str, Any]


def reply(text: str, outcome: str, *, lang: str, intent: str | None = None, topic: str | None = None,
          confidence: float | None = None, buttons: list[dict] | None = None,
          sources: list[dict] | None = None, candidates: list[str] | None = None,
          handoff: str | None = None) -> Reply:
    """One reply; `handoff` ("offer" or "request") tells the gateway to change the handoff state."""
    return {
        "text": text,
        "buttons": buttons or [],
        "sources": sources or [],
        "meta": {
            "outcome": outcome,
            "topic": topic,
            "candidates": candidates or [],
            "intent": intent,
            "confidence": None if confidence is None else round(float(confidence), 4),
        },
        "language": lang,
        "handoff": handoff,
    }


def yes_no_buttons(lang: str) -> list[dict]:
    return [
        {"title": messages.text(lang, "button_yes"), "payload": "/affirm"},
        {"title": messages.text(lang, "button_no"), "payload": "/deny"},
    ]


SMALLTALK = ("greet", "goodbye", "thanks", "bot_challenge")


def smalltalk(intent: str, lang: str, confidence: float | None) -> list[Reply]:
    if intent not in SMALLTALK:
        raise ValueError(f"intent {intent!r} is not small talk; expected one of {SMALLTALK}")
    buttons = ([{"title": messages.text(lang, "button_human"), "payload": "/human_handoff"}]
               if intent == "bot_challenge" else [])
    return [reply(messages.text(lang, intent), "smalltalk", lang=lang, intent=intent,
                  confidence=confidence, buttons=buttons)]


def out_of_scope(lang: str, confidence: float | None) -> list[Reply]:
    return [reply(messages.text(lang, "out_of_scope"), "out_of_scope", lang=lang, intent="out_of_scope",
                  confidence=confidence)]


def emergency(lang: str, confidence: float | None) -> list[Reply]:
    """The numbers first, then the offer of a person: never an article instead."""
    sources = messages.catalog(lang).get("emergency_sources") or messages.catalog("en").get(
        "emergency_sources") or []
    return [
        reply(messages.text(lang, "emergency"), "emergency", lang=lang, intent="emergency",
              confidence=confidence,
              sources=[{"title": s["title"], "url": s["url"], "reviewed": str(s.get("reviewed", ""))}
                       for s in sources]),
        reply(messages.text(lang, "handoff_offer"), "handoff", lang=lang, intent="emergency",
              confidence=confidence, buttons=yes_no_buttons(lang), handoff="offer"),
    ]


HANDOFF_REASONS = {
    "case_specific": "handoff_reason_case_specific",
    "complaint": "handoff_reason_complaint",
    "fallback": "handoff_reason_fallback",
}


def offer_handoff(intent: str, lang: str, confidence: float | None) -> list[Reply]:
    """Offer a person, with a short honest reason where there is one."""
    reason = HANDOFF_REASONS.get(intent)
    text = messages.text(lang, "handoff_offer")
    if reason:
        text = f"{messages.text(lang, reason)} {text}"
    return [reply(text, "handoff", lang=lang, intent=intent, confidence=confidence,
                  buttons=yes_no_buttons(lang), handoff="offer")]


def request_handoff(lang: str, intent: str | None) -> list[Reply]:
    return [reply(messages.text(lang, "handoff_requested"), "handoff", lang=lang, intent=intent,
                  handoff="request")]


def decline_handoff(lang: str, intent: str | None) -> list[Reply]:
    return [reply(messages.text(lang, "handoff_declined"), "smalltalk", lang=lang, intent=intent)]


def fallback(lang: str, intent: str | None, confidence: float | None) -> list[Reply]:
    return [reply(messages.text(lang, "fallback"), "fallback", lang=lang, intent=intent,
                  confidence=confidence)]


def language_switched(lang: str) -> list[Reply]:
    return [reply(messages.text(lang, "language_switched", language=messages.language_name(lang)),
                  "smalltalk", lang=lang, intent="switch_language")]
