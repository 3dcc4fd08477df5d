"""The bot's own texts in every language (`bot/messages/<lang>.yml`), English as the fallback."""
from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

_DIR = Path(__file__).parent
FALLBACK = "en"


@cache
def catalog(lang: str) -> dict:
    path = _DIR / f"{lang}.yml"
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: must be a mapping of message keys to texts")
    return data


def text(lang: str, key: str, **params: object) -> str:
    """The message `key` in `lang` (else English), with its {placeholders} filled in."""
    template = catalog(lang).get(key) or catalog(FALLBACK).get(key)
    if template is None:
        raise KeyError(f"message key {key!r} is missing in {FALLBACK}.yml")
    return str(template).format(**params) if params else str(template)


def language_name(code: str, in_lang: str | None = None) -> str:
    """The name of language `code`, written in `in_lang` (default: in that language itself)."""
    if in_lang is None:
        return str(catalog(code).get("language_name") or code)
    names = catalog(in_lang).get("languages") or catalog(FALLBACK).get("languages") or {}
    return str(names.get(code) or code)


def has(lang: str, key: str) -> bool:
    return key in catalog(lang)
