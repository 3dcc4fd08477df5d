"""Loading and validating knowledge articles (`knowledge/<topic>/<lang>.md`)."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import yaml

LANGUAGES: tuple[str, ...] = (
    "en", "sv", "ar", "fa", "zh", "es", "tr", "ru", "uk", "hi", "de", "fr", "pt", "pl",
)
REQUIRED_FIELDS = ("topic", "lang", "title", "sources", "reviewed", "review_by")
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n?(.*)\Z", re.DOTALL)


class ArticleError(ValueError):
    """An article that breaks the format; the message names the file and the field."""

    def __init__(self, path: Path | str, field_name: str | None, problem: str) -> None:
        self.path = str(path)
        self.field = field_name
        self.problem = problem
        where = f"{self.path}: field '{field_name}'" if field_name else self.path
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class Source:
    title: str
    url: str


@dataclass(frozen=True)
class Article:
    path: str
    topic: str
    lang: str
    title: str
    summary: str
    body: str
    sources: tuple[Source, ...]
    reviewed: dt.date
    review_by: dt.date
    questions: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    translated_from: str | None = None
    extra: dict = field(default_factory=dict, compare=False, hash=False)


def load_topics(path: Path) -> dict[str, dict]:
    """Read the topic list (`knowledge/topics.yml`) into {id: topic}."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ArticleError(path, None, f"cannot read the topic list: {exc}") from exc
    topics = data.get("topics") if isinstance(data, dict) else None
    if not isinstance(topics, list) or not topics:
        raise ArticleError(path, "topics", "must be a non-empty list")
    result: dict[str, dict] = {}
    for entry in topics:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise ArticleError(path, "topics", f"entry without an id: {entry!r}")
        result[entry["id"]] = entry
    return result


def parse_article(text: str, path: Path | str, topics: dict[str, dict] | None = None) -> Article:
    """Parse one article's text; raise ArticleError naming the field that is wrong."""
    match = _FRONT_MATTER.match(text.lstrip("\ufeff"))
    if not match:
        raise ArticleError(path, None, "no YAML front matter between '---' lines at the top")
    try:
        meta = yaml.safe_load(match.group(1))
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        # PyYAML builds dates itself: an impossible one (2026-02-30) is a ValueError, not a YAMLError;
        # deeply nested brackets exhaust its recursive composer.
        raise ArticleError(path, None, f"front matter is not valid YAML: {exc}") from exc
    if not isinstance(meta, dict):
        raise ArticleError(path, None, "front matter must be a mapping of fields")
    for name in REQUIRED_FIELDS:
        if meta.get(name) in (None, "", []):
            raise ArticleError(path, name, "is missing")

    topic = _text(meta, "topic", path)
    if topics is not None and topic not in topics:
        raise ArticleError(path, "topic", f"unknown topic id {topic!r}")
    lang = _text(meta, "lang", path)
    if lang not in LANGUAGES:
        raise ArticleError(path, "lang", f"unsupported language {lang!r}")
    p = Path(path)
    if p.suffix == ".md" and p.stem in LANGUAGES:
        if p.stem != lang:
            raise ArticleError(path, "lang", f"{lang!r} does not match the file name {p.name!r}")
        if p.parent.name != topic:
            raise ArticleError(path, "topic", f"{topic!r} does not match the folder {p.parent.name!r}")
    reviewed = _date(meta, "reviewed", path)
    review_by = _date(meta, "review_by", path)
    if review_by < reviewed:
        raise ArticleError(path, "review_by", f"{review_by} is before reviewed {reviewed}")
    translated_from = meta.get("translated_from")
    if translated_from is not None and (translated_from not in LANGUAGES or translated_from == lang):
        raise ArticleError(path, "translated_from", f"invalid source language {translated_from!r}")
    body = match.group(2).strip()
    if not body:
        raise ArticleError(path, "body", "the article has no text after the front matter")
    return Article(
        path=str(path),
        topic=topic,
        lang=lang,
        title=_text(meta, "title", path),
        summary=str(meta.get("summary") or "").strip(),
        body=body,
        sources=_sources(meta, path),
        reviewed=reviewed,
        review_by=review_by,
        questions=_str_list(meta, "questions", path),
        related=_str_list(meta, "related", path),
        translated_from=translated_from,
        extra={k: v for k, v in meta.items() if k not in _KNOWN},
    )


_KNOWN = {*REQUIRED_FIELDS, "summary", "questions", "related", "translated_from"}


def load_article(path: Path, topics: dict[str, dict] | None = None) -> Article:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ArticleError(path, None, f"cannot read the file: {exc}") from exc
    return parse_article(text, path, topics)


def load_articles(root: Path, topics: dict[str, dict] | None = None) -> list[Article]:
    """Every article below `root`, in a stable order; the first broken one raises."""
    return [load_article(p, topics) for p in sorted(root.glob("*/*.md"))]


def _text(meta: dict, name: str, path: Path | str) -> str:
    value = meta.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ArticleError(path, name, f"must be a non-empty text, got {value!r}")
    return value.strip()


def _date(meta: dict, name: str, path: Path | str) -> dt.date:
    value = meta.get(name)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ArticleError(path, name, f"must be a date YYYY-MM-DD, got {value!r}") from None


def _str_list(meta: dict, name: str, path: Path | str) -> tuple[str, ...]:
    value = meta.get(name) or []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ArticleError(path, name, "must be a list of non-empty texts")
    return tuple(v.strip() for v in value)


def _sources(meta: dict, path: Path | str) -> tuple[Source, ...]:
    value = meta.get("sources")
    if not isinstance(value, list):
        raise ArticleError(path, "sources", "must be a list of {title, url}")
    result = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise ArticleError(path, f"sources[{i}]", f"must be a mapping with title and url, got {item!r}")
        title, url = item.get("title"), item.get("url")
        if not isinstance(title, str) or not title.strip():
            raise ArticleError(path, f"sources[{i}].title", f"must be a non-empty text, got {title!r}")
        try:
            parsed = urlparse(url) if isinstance(url, str) else None
        except ValueError:  # e.g. an unclosed IPv6 address, "https://[::1"
            parsed = None
        if not parsed or parsed.scheme != "https" or not parsed.netloc or " " in url:
            raise ArticleError(path, f"sources[{i}].url", f"must be a well-formed https URL, got {url!r}")
        result.append(Source(title=title.strip(), url=url.strip()))
    return tuple(result)
