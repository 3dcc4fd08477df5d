"""What an agent needs at takeover: a one-paragraph summary and the articles the bot used."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from bot import messages
from bot.knowledge.articles import ArticleError, load_article, load_topics
from bot.privacy import redact

KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"
REASONS = {
    "en": {"human_handoff": "asked for a person", "case_specific": "asked about their own case",
           "complaint": "made a complaint", "emergency": "wrote about an emergency",
           "fallback": "the bot could not answer twice", None: "asked for a person"},
    "sv": {"human_handoff": "bad att få prata med en person", "case_specific": "frågade om sitt eget ärende",
           "complaint": "framförde klagomål", "emergency": "skrev om en nödsituation",
           "fallback": "boten kunde inte svara två gånger", None: "bad att få prata med en person"},
}
CHANNELS = {"en": {"web": "the website", "telegram": "Telegram"}, "sv": {"web": "webbplatsen", "telegram": "Telegram"}}


@lru_cache(maxsize=1024)
def topic_title(topic: str | None, lang: str = "en") -> str | None:
    """The article's title in `lang` (en or sv), else the topic list's title, else None."""
    if not topic:
        return None
    try:
        return load_article(KNOWLEDGE / topic / f"{lang}.md").title
    except (ArticleError, OSError):
        pass
    try:
        return (load_topics(KNOWLEDGE / "topics.yml").get(topic) or {}).get("title")
    except ArticleError:
        return None


def _quote(text: str, limit: int = 140) -> str:
    text = " ".join(redact(text).split())
    return f"“{text[:limit - 1]}…”" if len(text) > limit else f"“{text}”"


def articles_used(transcript: list[dict], lang: str = "en") -> list[dict]:
    """Each topic the bot answered from, once, with the first source it cited."""
    seen: dict[str, dict] = {}
    for message in transcript:
        meta = message.get("meta") or {}
        topic = meta.get("topic")
        if message.get("role") == "bot" and meta.get("outcome") == "answer" and topic and topic not in seen:
            sources = message.get("sources") or []
            seen[topic] = {"topic": topic, "title": topic_title(topic, lang) or topic,
                           "url": sources[0]["url"] if sources else None}
    return list(seen.values())


def summarise(transcript: list[dict], *, language: str, channel: str, reason: str | None,
              lang: str = "en") -> str:
    """One paragraph, in the agent's language (en or sv), from a transcript of message views."""
    lang = lang if lang in REASONS else "en"
    asked = [m for m in transcript if m.get("role") == "user" and not m.get("text", "").startswith("/")]
    answered = [m for m in transcript if m.get("role") == "bot"]
    topics = [a["title"] for a in articles_used(transcript, lang)]
    clarified = sum(1 for m in answered if (m.get("meta") or {}).get("outcome") == "clarify")
    unanswered = sum(1 for m in answered if (m.get("meta") or {}).get("outcome") in ("fallback", "out_of_scope"))
    language_name = messages.language_name(language, lang)
    where = CHANNELS[lang].get(channel, channel)
    questions = "; ".join(_quote(m["text"]) for m in asked[:3]) or ("–")
    if lang == "sv":
        parts = [f"Personen skriver på {language_name.lower()} via {where} ({len(asked)} meddelanden)."
                 f" Frågade: {questions}."]
        parts.append(f"Boten svarade om: {', '.join(topics)}." if topics else "Boten gav inget kunskapssvar.")
        if clarified:
            parts.append(f"Boten bad om förtydligande {clarified} gång(er).")
        if unanswered:
            parts.append(f"{unanswered} fråga(or) kunde boten inte besvara.")
        parts.append(f"Överlämning: {REASONS['sv'].get(reason, REASONS['sv'][None])}.")
        if len(asked) > 3:
            parts.append(f"Senast: {_quote(asked[-1]['text'])}.")
    else:
        parts = [f"The talent writes in {language_name} on {where} ({len(asked)} messages)."
                 f" They asked: {questions}."]
        parts.append(f"The bot answered about: {', '.join(topics)}." if topics
                     else "The bot gave no knowledge answer.")
        if clarified:
            parts.append(f"The bot asked which topic was meant {clarified} time(s).")
        if unanswered:
            parts.append(f"The bot could not answer {unanswered} message(s).")
        parts.append(f"Handoff because the talent {REASONS['en'].get(reason, REASONS['en'][None])}.")
        if len(asked) > 3:
            parts.append(f"Latest: {_quote(asked[-1]['text'])}.")
    return " ".join(parts)
