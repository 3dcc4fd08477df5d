"""The custom actions: each reads the tracker, calls a pure function of bot.dialogue and replies."""
from __future__ import annotations

from typing import Any

import numpy as np
from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import services
from bot.dialogue import answers, replies
from bot.dialogue.language import requested_language
from bot.knowledge.articles import LANGUAGES
from bot.nlp import query_vector

Events = list[dict[str, Any]]


def _lang(tracker: Tracker) -> str:
    metadata = tracker.latest_message.get("metadata") or {}
    return str(metadata.get("language") or "en")


def _intent(tracker: Tracker) -> tuple[str | None, float | None]:
    intent = tracker.latest_message.get("intent") or {}
    return intent.get("name"), intent.get("confidence")


# Emergencies must never get an article instead of the numbers: when the classifier gives emergency
# this much probability even though another intent won, the emergency reply is sent.
EMERGENCY_SAFETY_NET = 0.30


def _possible_emergency(tracker: Tracker) -> bool:
    ranking = tracker.latest_message.get("intent_ranking") or []
    return any(r.get("name") == "emergency" and (r.get("confidence") or 0) >= EMERGENCY_SAFETY_NET
               for r in ranking)


def _question_vector(tracker: Tracker) -> np.ndarray | None:
    """Rasa's embedding of the talent's last typed message, or None (then retrieval embeds the text).

    A button's payload is not embedded by Rasa, and the question before it is what the button answers."""
    model = services.rasa_vector_model()
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        vector = query_vector.unpack((event.get("parse_data") or {}).get(query_vector.FIELD), model)
        if vector is not None or not str(event.get("text") or "").startswith("/"):
            return vector
    return None


def _send(dispatcher: CollectingDispatcher, messages: list[dict]) -> None:
    for message in messages:
        dispatcher.utter_message(json_message=message)


class ActionSmalltalk(Action):
    def name(self) -> str:
        return "action_smalltalk"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> Events:
        intent, confidence = _intent(tracker)
        _send(dispatcher, replies.smalltalk(intent or "greet", _lang(tracker), confidence))
        return [SlotSet("pending", None)]


class ActionOutOfScope(Action):
    def name(self) -> str:
        return "action_out_of_scope"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> Events:
        _, confidence = _intent(tracker)
        _send(dispatcher, replies.out_of_scope(_lang(tracker), confidence))
        return [SlotSet("pending", None)]


class ActionEmergency(Action):
    def name(self) -> str:
        return "action_emergency"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> Events:
        _, confidence = _intent(tracker)
        _send(dispatcher, replies.emergency(_lang(tracker), confidence))
        return [SlotSet("pending", "handoff")]


# Own-case questions the classifier is this unsure about are often general questions told through one's
# own situation ("what happens if my permit expires while I wait?"): a clear knowledge match is answered,
# and a person is still offered. Real own-case messages score above 0.95 on the evaluation sets.
CASE_SPECIFIC_UNSURE = 0.80


class ActionOfferHandoff(Action):
    def name(self) -> str:
        return "action_offer_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> Events:
        lang, (intent, confidence) = _lang(tracker), _intent(tracker)
        events: Events = [SlotSet("pending", "handoff")]
        if intent == "case_specific" and (confidence or 0) < CASE_SPECIFIC_UNSURE:
            text = tracker.latest_message.get("text") or ""
            retriever = services.retriever()
            hit = retriever.search(text, limit=5, query=_question_vector(tracker))
            decision = answers.decide(hit, floor=answers.UNSURE_FLOOR)
            if decision.outcome == "answer":
                messages = answers.answer(hit, decision.topic, lang, retriever, services.operator(), intent,
                                          decision.confidence)
                _send(dispatcher, messages)
                events.append(SlotSet("topic", decision.topic))
        _send(dispatcher, replies.offer_handoff(intent or "human_handoff", lang, confidence))
        return events


class ActionConfirm(Action):
    def name(self) -> str:
        return "action_confirm"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> Events:
        lang, (intent, confidence) = _lang(tracker), _intent(tracker)
        if tracker.get_slot("pending") == "handoff":
            _send(dispatcher, replies.request_handoff(lang, intent))
        else:
            _send(dispatcher, replies.fallback(lang, intent, confidence))
        return [SlotSet("pending", None)]


class ActionDecline(Action):
    def name(self) -> str:
        return "action_decline"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> Events:
        lang, (intent, confidence) = _lang(tracker), _intent(tracker)
        pending = tracker.get_slot("pending")
        if pending == "clarify":
            _send(dispatcher, replies.offer_handoff("fallback", lang, confidence))
            return [SlotSet("pending", "handoff")]
        if pending == "handoff":
            _send(dispatcher, replies.decline_handoff(lang, intent))
        else:
            _send(dispatcher, replies.fallback(lang, intent, confidence))
        return [SlotSet("pending", None)]


class ActionSwitchLanguage(Action):
    def name(self) -> str:
        return "action_switch_language"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> Events:
        # A button or menu sends the code as an entity (/switch_language{"language":"sv"}); people name it.
        chosen = next((str(e.get("value")) for e in tracker.latest_message.get("entities") or []
                       if e.get("entity") == "language"), None)
        target = chosen if chosen in LANGUAGES else requested_language(tracker.latest_message.get("text") or "")
        if target is None:
            _, confidence = _intent(tracker)
            _send(dispatcher, replies.fallback(_lang(tracker), "switch_language", confidence))
            return []
        _send(dispatcher, replies.language_switched(target))
        return [SlotSet("language", target)]


class ActionAnswer(Action):
    """Answer from the knowledge base, ask which topic was meant, or after two failures offer a person."""

    def name(self) -> str:
        return "action_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> Events:
        lang, (intent, confidence) = _lang(tracker), _intent(tracker)
        if _possible_emergency(tracker):
            _send(dispatcher, replies.emergency(lang, confidence))
            return [SlotSet("pending", "handoff")]
        retriever = services.retriever()
        text = tracker.latest_message.get("text") or ""
        chosen = next((e.get("value") for e in tracker.latest_message.get("entities") or []
                       if e.get("entity") == "topic"), None)
        topics = retriever.topics()
        query = _question_vector(tracker)
        if chosen in topics and query is None:
            hit = retriever.outline(chosen)  # a button pressed with no question before it
        else:
            # A topic chosen on a clarify button is answered whatever its rank.
            hit = retriever.search(text, limit=5, query=query, include=[chosen] if chosen else [])
        if chosen in topics:
            decision = answers.Decision("answer", chosen, [chosen], 1.0)
        elif intent == "nlu_fallback":
            # Rasa was unsure what kind of message this is: only a clear knowledge match is worth
            # answering, and short messages ("moin", "hmm") are not questions.
            decision = (answers.Decision("fallback", None, [], 0.0) if len(text.split()) < 3
                        else answers.decide(hit, floor=answers.UNSURE_FLOOR))
        else:
            decision = answers.decide(hit)
        if decision.outcome == "answer":
            messages = answers.answer(hit, decision.topic, lang, retriever, services.operator(), intent,
                                      decision.confidence)
            if messages:
                _send(dispatcher, messages)
                return [SlotSet("failures", 0), SlotSet("pending", None), SlotSet("topic", decision.topic)]
        if decision.outcome == "clarify":
            _send(dispatcher, answers.clarify(decision.candidates, lang, retriever, intent,
                                              decision.confidence))
            return [SlotSet("pending", "clarify")]
        failures = (tracker.get_slot("failures") or 0) + 1
        if failures >= 2:
            _send(dispatcher, replies.offer_handoff("fallback", lang, decision.confidence))
            return [SlotSet("failures", 0), SlotSet("pending", "handoff")]
        if intent == "nlu_fallback":
            # Neither an intent nor the knowledge base recognised it: say kindly what the bot can do.
            _send(dispatcher, replies.out_of_scope(lang, decision.confidence))
        else:
            _send(dispatcher, replies.fallback(lang, intent, decision.confidence))
        return [SlotSet("failures", failures), SlotSet("pending", None)]


class ActionWarmUp(Action):
    """Loads the embedding model and the index; `bot.ready` calls it so the first talent does not wait."""

    def name(self) -> str:
        return "action_warm_up"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> Events:
        # With Rasa's vectors the embedding model is only a fallback: it loads if ever needed.
        services.retriever().warm_up(embedder=services.rasa_vector_model() is None)
        return []
