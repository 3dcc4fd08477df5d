"""Recognising an explicit request to change the reply language ("can you answer in Swedish?")."""
from __future__ import annotations

import re
from functools import lru_cache

from bot import messages
from bot.knowledge.articles import LANGUAGES


@lru_cache(maxsize=1)
def _names() -> list[tuple[str, str]]:
    """(lowercased name or its stem, language code), longest first so "svenska" beats "sv"."""
    pairs: set[tuple[str, str]] = set()
    for in_lang in LANGUAGES:
        for code, name in (messages.catalog(in_lang).get("languages") or {}).items():
            if code in LANGUAGES and isinstance(name, str) and name.strip():
                name = name.strip().lower()
                pairs.add((name, code))
                # Inflected forms ("po polsku", "на русском", "auf Deutsch") share the name's stem.
                if len(name) >= 6 and name.isalpha():
                    pairs.add((name[:5], code))
        own = messages.catalog(in_lang).get("language_name")
        if isinstance(own, str) and own.strip():
            pairs.add((own.strip().lower(), in_lang))
    return sorted(pairs, key=lambda p: -len(p[0]))


def requested_language(text: str) -> str | None:
    """The language code named in `text`, if any."""
    lowered = text.lower()
    for name, code in _names():
        if re.search(r"[a-zà-ÿ]", name):
            if re.search(rf"(?<![a-zà-ÿ]){re.escape(name)}", lowered):
                return code
        elif name in lowered:
            return code
    return None
