"""Answering a question from retrieval: answer, ask which topic was meant, or admit failure."""
from __future__ import annotations

import re
from dataclasses import dataclass

from bot import messages
from bot.dialogue.replies import Reply, reply
from bot.knowledge.retrieval import Hit, Retriever

# Tuned on the evaluation sets (see README, "Understanding"): below ANSWER_FLOOR nothing in the
# knowledge base matches; within CLARIFY_MARGIN of the best topic another topic is as likely.
ANSWER_FLOOR = 0.80
CLARIFY_MARGIN = 0.003
# ...unless the topic classifier is this sure of the best topic on its own.
CLARIFY_UNLESS_PROBABILITY = 0.4
# ...or unless, among the close topics, the classifier gives one this much and 1.5× the next one.
PREFERRED_PROBABILITY = 0.25
PREFERRED_RATIO = 1.5
# When Rasa could not tell what kind of message it was (nlu_fallback), retrieval must be surer.
UNSURE_FLOOR = 0.83
MAX_CANDIDATES = 3
_PLACEHOLDER = re.compile(r"\[\[([a-z_]+)\.([a-z_]+)\]\]")


@dataclass(frozen=True)
class Decision:
    outcome: str                 # "answer" | "clarify" | "fallback"
    topic: str | None
    candidates: list[str]
    confidence: float


def decide(hit: Hit, floor: float = ANSWER_FLOOR, margin: float = CLARIFY_MARGIN,
           sure: float = CLARIFY_UNLESS_PROBABILITY) -> Decision:
    if not hit.topics or hit.topics[0].score < floor:
        score = hit.topics[0].score if hit.topics else 0.0
        return Decision("fallback", None, [], score)
    best = hit.topics[0]
    close = [t.topic for t in hit.topics[:MAX_CANDIDATES]
             if t.score >= floor and best.score - t.score <= margin]
    if len(close) > 1 and best.probability < sure:
        # Scores this close say little; if the topic classifier clearly prefers one of them, answer it.
        ranked = sorted((t for t in hit.topics if t.topic in close), key=lambda t: -t.probability)
        if ranked[0].probability >= PREFERRED_PROBABILITY and \
                ranked[0].probability >= PREFERRED_RATIO * ranked[1].probability:
            return Decision("answer", ranked[0].topic, [ranked[0].topic], ranked[0].score)
        return Decision("clarify", None, close, best.score)
    return Decision("answer", best.topic, [best.topic], best.score)


def render_operator_facts(text: str, operator: dict) -> str:
    """Fill `[[house.address]]`-style placeholders; drop lines whose fact the operator has not set."""
    lines = []
    for line in text.splitlines():
        missing = False

        def fill(match: re.Match) -> str:
            nonlocal missing
            value = (operator.get(match.group(1)) or {}).get(match.group(2))
            if value in (None, ""):
                missing = True
                return ""
            return str(value)

        rendered = _PLACEHOLDER.sub(fill, line)
        if not missing:
            lines.append(rendered)
    return "\n".join(lines)


def answer(hit: Hit, topic: str, lang: str, retriever: Retriever, operator: dict, intent: str | None,
           confidence: float | None) -> list[Reply]:
    """The best-matching section of `topic` from the article in `lang` (else English, with a note)."""
    info = retriever.article(topic, lang) or retriever.article(topic, "en")
    if info is None or not info.sections:
        return []
    ordinal = next((s for s in hit.sections.get(topic, []) if s < len(info.sections) and info.sections[s][1]), 0)
    heading, body = info.sections[ordinal]
    parts = []
    if info.lang != lang:
        parts.append(messages.text(lang, "english_fallback_note", language=messages.language_name(lang, lang)))
    parts.append(f"**{info.title}**" + (f" — {heading}" if heading else ""))
    parts.append(render_operator_facts(body, operator))
    sources = [{"title": s["title"], "url": s["url"], "reviewed": info.reviewed} for s in info.sources]
    return [reply("\n\n".join(parts), "answer", lang=lang, intent=intent, topic=topic,
                  confidence=confidence, sources=sources, candidates=[topic])]


def clarify(candidates: list[str], lang: str, retriever: Retriever, intent: str | None,
            confidence: float | None) -> list[Reply]:
    buttons = []
    for topic in candidates:
        info = retriever.article(topic, lang) or retriever.article(topic, "en")
        title = info.title if info else topic
        buttons.append({"title": title, "payload": f'/ask_question{{"topic": "{topic}"}}'})
    buttons.append({"title": messages.text(lang, "clarify_none"), "payload": "/deny"})
    return [reply(messages.text(lang, "clarify"), "clarify", lang=lang, intent=intent,
                  confidence=confidence, buttons=buttons, candidates=candidates)]

