"""The benchmark's conversations: knowledge questions in several languages, small talk and handoffs,
drawn from the evaluation cases with a fixed seed, so the gateway and Rasa get the same messages."""
from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml

SMALLTALK_OPENERS = ("greet",)
SMALLTALK_CLOSERS = ("thanks", "goodbye")
# Expectations that are behaviours rather than topics of the knowledge base.
BEHAVIOURS = {"greet", "thanks", "goodbye", "bot_challenge", "human_handoff", "emergency", "complaint",
              "case_specific", "out_of_scope"}
HANDOFF = ("I want to talk to a person", "/affirm")


@dataclass(frozen=True)
class Message:
    text: str
    lang: str
    kind: str  # "knowledge" | "smalltalk" | "handoff"


@dataclass(frozen=True)
class Script:
    """One conversation; after a handoff is confirmed the talent waits for a person, so it ends there."""

    lang: str
    messages: tuple[Message, ...]


def load_pools(cases_file: Path) -> tuple[dict[str, list[str]], dict[tuple[str, str], list[str]]]:
    """Knowledge questions per language, and small-talk texts per (intent, language)."""
    cases = yaml.safe_load(cases_file.read_text(encoding="utf-8"))["cases"]
    knowledge: dict[str, list[str]] = defaultdict(list)
    smalltalk: dict[tuple[str, str], list[str]] = defaultdict(list)
    for case in cases:
        if case["expect"] not in BEHAVIOURS:
            knowledge[case["lang"]].append(case["text"])
        elif case["expect"] in SMALLTALK_OPENERS + SMALLTALK_CLOSERS:
            smalltalk[(case["expect"], case["lang"])].append(case["text"])
    return dict(knowledge), dict(smalltalk)


def scripts(cases_file: Path, count: int, seed: int = 7, handoff_share: float = 0.2) -> list[Script]:
    """`count` conversations: an optional greeting, 2-4 knowledge questions in the conversation's
    language, an optional thanks/goodbye, and in about `handoff_share` of them a handoff at the end."""
    knowledge, smalltalk = load_pools(cases_file)
    rng = random.Random(seed)
    languages = sorted(knowledge)
    # English and Swedish are asked most; every other language still comes up regularly.
    weights = [4 if lang in ("en", "sv") else 1 for lang in languages]
    result = []
    for _ in range(count):
        lang = rng.choices(languages, weights)[0]
        messages: list[Message] = []
        if rng.random() < 0.5 and smalltalk.get(("greet", lang)):
            messages.append(Message(rng.choice(smalltalk[("greet", lang)]), lang, "smalltalk"))
        for text in rng.sample(knowledge[lang], k=min(len(knowledge[lang]), rng.randint(2, 4))):
            messages.append(Message(text, lang, "knowledge"))
        if rng.random() < handoff_share:
            messages += [Message(text, lang, "handoff") for text in HANDOFF]
        elif rng.random() < 0.5:
            closer = smalltalk.get((rng.choice(SMALLTALK_CLOSERS), lang))
            if closer:
                messages.append(Message(rng.choice(closer), lang, "smalltalk"))
        result.append(Script(lang, tuple(messages)))
    return result


def retrieval_queries(cases_file: Path, count: int, seed: int = 11) -> list[str]:
    """Knowledge questions in every language, round-robin over the languages."""
    knowledge, _ = load_pools(cases_file)
    rng = random.Random(seed)
    pools = {lang: rng.sample(texts, len(texts)) for lang, texts in sorted(knowledge.items())}
    queries: list[str] = []
    while len(queries) < count and any(pools.values()):
        for texts in pools.values():
            if texts and len(queries) < count:
                queries.append(texts.pop())
    return queries
