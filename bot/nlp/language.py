"""Language identification restricted to the 14 languages the bot answers in."""
from __future__ import annotations

import re
import threading
import unicodedata
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

import yaml

from bot.knowledge.articles import LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
# Once the conversation has a language, a message switches it only when it is long enough and
# identified surely enough; "ok", "BankID?" or "tack" say too little.
MIN_CHARS = 12
MIN_PROBABILITY = 0.5
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
# Hindi written in Latin letters ("kya", "kaise", "mujhe"): statistical identifiers read it as English.
_HINGLISH = frozenset(
    "kya hai hain kaise kaisa kitna kitne mera meri mere mujhe humko nahi nahin chahiye karna karne "
    "karte hoon raha rahi milega milegi batao bataiye bahut dhanyavaad dhanyavad shukriya kyun kaun "
    "aapki aapka yahan wahan abhi liye lagta hota hogi hoga gaya gayi sakta sakti".split())
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


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
    """The most likely language of `text` and its probability (statistical only)."""
    lang, probability = _langid().classify(text)
    return lang, float(probability)


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return " ".join(_WORD.findall(text))


@lru_cache(maxsize=1)
def _phrasebook() -> dict[str, str]:
    """Short phrases of the NLU training data ("hej hej", "tchau") that only one language uses."""
    seen: dict[str, set[str]] = defaultdict(set)
    for path in (ROOT / "data" / "nlu").glob("*/*.yml"):
        lang = path.parent.name
        if lang not in LANGUAGES:
            continue
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            continue
        for block in data.get("nlu") or []:
            for line in str(block.get("examples") or "").splitlines():
                phrase = _normalise(line.strip().removeprefix("- "))
                if phrase and len(phrase.split()) <= 4:
                    seen[phrase].add(lang)
    return {phrase: next(iter(langs)) for phrase, langs in seen.items() if len(langs) == 1}


def _by_rules(text: str, current: str | None) -> str | None:
    for pattern, lang in _SCRIPTS:
        # A script that only one of the 14 languages writes in decides at once (Arabic letters are
        # shared with Persian, so Persian's own letters are checked first).
        if pattern.search(text):
            return lang
    words = _normalise(text).split()
    if len({w for w in words if w in _HINGLISH}) >= 2:
        return "hi"
    if current and len(words) < 2:
        return None  # "ok", "tack", "BankID": one word is no reason to change a known language
    return _phrasebook().get(" ".join(words))


def detect(text: str, current: str | None) -> str:
    """The language to answer `text` in; `current` is the conversation's language once known."""
    stripped = text.strip()
    ruled = _by_rules(stripped, current)
    if ruled is not None:
        # Arabic-script text without Persian letters is Arabic, unless the talent writes Persian.
        return "fa" if ruled == "ar" and current == "fa" else ruled
    lang, probability = identify(stripped)
    if current and (len(stripped) < MIN_CHARS or probability < MIN_PROBABILITY):
        return current
    return lang
