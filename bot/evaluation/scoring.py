"""Scoring one case's replies against what was expected (pure functions)."""
from __future__ import annotations

from dataclasses import dataclass, field

SMALLTALK = {"greet", "goodbye", "thanks", "bot_challenge"}
PERSON = {"human_handoff", "case_specific", "complaint"}
BEHAVIOURS = SMALLTALK | PERSON | {"emergency", "out_of_scope"}


@dataclass
class CaseResult:
    id: str
    lang: str
    text: str
    expect: str
    also: list[str]
    outcome: str | None = None
    topic: str | None = None
    intent: str | None = None
    candidates: list[str] = field(default_factory=list)
    confidence: float | None = None
    reply_language: str | None = None
    text_language: str | None = None
    latency_ms: float = 0.0
    correct: bool = False
    hit1: bool | None = None
    hit3: bool | None = None
    confident_wrong: bool = False
    error: str | None = None


def score(result: CaseResult, replies: list[dict]) -> CaseResult:
    """Fill in correct / hit@1 / hit@3 / confident_wrong from the replies to the case's message."""
    metas = [r.get("meta") or {} for r in replies]
    first = metas[0] if metas else {}
    result.outcome, result.topic, result.intent = first.get("outcome"), first.get("topic"), first.get("intent")
    result.candidates = list(first.get("candidates") or [])
    result.confidence = first.get("confidence")
    outcomes = [m.get("outcome") for m in metas]
    expect = result.expect
    if expect in BEHAVIOURS:
        if expect in SMALLTALK:
            result.correct = result.outcome == "smalltalk" and result.intent == expect
        elif expect in PERSON:
            result.correct = "handoff" in outcomes
        elif expect == "emergency":
            result.correct = result.outcome == "emergency"
        else:
            result.correct = result.outcome == "out_of_scope"
        result.confident_wrong = "answer" in outcomes
        return result
    accepted = {expect, *result.also}
    answered = result.outcome == "answer"
    result.hit1 = answered and result.topic in accepted
    offered = set(result.candidates[:3]) | ({result.topic} if answered else set())
    result.hit3 = bool(offered & accepted)
    result.correct = bool(result.hit1)
    result.confident_wrong = answered and result.topic not in accepted
    return result
