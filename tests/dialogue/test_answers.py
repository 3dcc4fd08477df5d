"""Deciding between answering, asking which topic was meant, and admitting failure."""
from __future__ import annotations

from bot.dialogue.answers import decide, render_operator_facts
from bot.knowledge.retrieval import Hit, TopicScore


def hit(*scores: tuple[str, float]) -> Hit:
    return Hit([TopicScore(t, s) for t, s in scores], {})


def test_a_clear_best_topic_is_answered() -> None:
    decision = decide(hit(("housing", 0.90), ("sfi", 0.82)))
    assert decision.outcome == "answer" and decision.topic == "housing"


def test_close_topics_are_offered_as_a_choice() -> None:
    decision = decide(hit(("personnummer", 0.900), ("folkbokforing", 0.898), ("id-card", 0.70)))
    assert decision.outcome == "clarify"
    assert decision.candidates == ["personnummer", "folkbokforing"]


def test_among_close_topics_one_the_classifier_clearly_prefers_is_answered() -> None:
    preferred = Hit([TopicScore("eu-citizens", 0.905, 0.18), TopicScore("permit-extension", 0.904, 0.30)], {})
    decision = decide(preferred)
    assert decision.outcome == "answer" and decision.topic == "permit-extension"
    undecided = Hit([TopicScore("eu-citizens", 0.905, 0.25), TopicScore("permit-extension", 0.904, 0.30)], {})
    assert decide(undecided).outcome == "clarify"


def test_nothing_close_enough_is_a_failure() -> None:
    assert decide(hit(("housing", 0.60))).outcome == "fallback"
    assert decide(Hit([], {})).outcome == "fallback"


def test_operator_facts_fill_placeholders_and_unset_lines_are_left_out() -> None:
    text = "Visit us:\n- Address: [[house.address]]\n- Phone: [[house.phone]]\nWelcome."
    rendered = render_operator_facts(text, {"house": {"address": "Example street 1", "phone": ""}})
    assert rendered == "Visit us:\n- Address: Example street 1\nWelcome."


def test_a_topic_the_classifier_is_sure_of_is_answered_despite_a_close_second() -> None:
    sure = Hit([TopicScore("personnummer", 0.900, 0.8), TopicScore("folkbokforing", 0.898, 0.1)], {})
    assert decide(sure).outcome == "answer"
