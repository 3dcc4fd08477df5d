"""Language identification restricted to the 14 languages the bot answers in."""
from __future__ import annotations

import re
import threading

from bot.knowledge.articles import LANGUAGES

# A message this short, or identified with less confidence, says too little to change the
# conversation's language ("ok", "BankID?").
MIN_CHARS = 12
MIN_PROBABILITY = 0.80
_lock = threading.Lock()
_identifier = None

_SCRIPTS = (
    (re.compile(r"[\u0900-\u097F]"), "hi"),
    (re.compile(r"[\u4E00-\u9FFF\u3400-\u4DBF]"), "zh"),
    # Letters that Persian has and Arabic lacks.
    (re.compile(r"[پچژگکی]"), "fa"),
    (re.compile(r"[\u0600-\u06FF]"), "ar"),
    (re.compile(r"[іїєґІЇЄҐ]"), "uk"),
)


def _langid():
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                identifier.set_languages(list(LANGUAGES))
                _identifier = identifier
    return _identifier


def identify(text: str) -> tuple[str, float]:
    """The most likely language of `text` and its probability."""
    lang, probability = _langid().classify(text)
    return lang, float(probability)


def detect(text: str, current: str | None) -> str:
    """The language to answer `text` in, keeping `current` when the message says too little."""
    stripped = text.strip()
    for pattern, lang in _SCRIPTS:
        # A script that only one of the 14 languages writes in decides at once (Arabic letters are
        # shared with Persian, so Persian's own letters are checked first).
        if pattern.search(stripped):
            if lang == "ar" and current == "fa":
                return "fa"
            return lang
    if len(stripped) < MIN_CHARS and current:
        return current
    lang, probability = identify(stripped)
    if probability < MIN_PROBABILITY and current:
        return current
    return lang
