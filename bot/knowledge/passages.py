"""Splitting articles into passages that retrieval can return on their own."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache

from bot.knowledge.articles import Article

# A passage longer than this (in characters) is split at sentence boundaries; e5-small reads
# 512 tokens at most and shorter passages rank more precisely.
MAX_PASSAGE_CHARS = 900
_HEADING = re.compile(r"^##\s+(.+?)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Passage:
    topic: str
    lang: str
    title: str       # the article's title
    heading: str     # the section heading ("" for the introduction)
    text: str
    section: int     # the section's ordinal (0: introduction); translations keep the same sections

    @property
    def key(self) -> str:
        """Content hash: an unchanged passage is not embedded again."""
        raw = f"{self.topic}\x1f{self.lang}\x1f{self.heading}\x1f{self.text}"
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:24]

    def embedding_text(self) -> str:
        head = f"{self.title}. {self.heading}." if self.heading else f"{self.title}."
        return f"{head} {strip_placeholders(self.text)}"


def sections(article: Article) -> list[tuple[str, str]]:
    """(heading, text) of the introduction and of each `##` section, in order."""
    parts = _HEADING.split(article.body)
    pairs = [("", parts[0])] + list(zip(parts[1::2], parts[2::2], strict=False))
    return [(heading.strip(), text.strip()) for heading, text in pairs]


def split_article(article: Article) -> list[Passage]:
    """Introduction plus one passage per `##` section, long sections split by sentence."""
    passages: list[Passage] = []
    for ordinal, (heading, text) in enumerate(sections(article)):
        if not text:
            continue
        for chunk in _chunks(text, article.lang):
            passages.append(Passage(article.topic, article.lang, article.title, heading, chunk, ordinal))
    return passages


def strip_placeholders(text: str) -> str:
    return re.sub(r"\[\[[a-z_.]+\]\]", "", text)


def _chunks(text: str, lang: str) -> list[str]:
    if len(text) <= MAX_PASSAGE_CHARS:
        return [text]
    chunks: list[str] = []
    current = ""
    for sentence in _sentences(text, lang):
        if current and len(current) + len(sentence) > MAX_PASSAGE_CHARS:
            chunks.append(current.strip())
            current = ""
        current += sentence
    if current.strip():
        chunks.append(current.strip())
    return chunks


def _sentences(text: str, lang: str) -> list[str]:
    doc = _sentencizer(lang)(text)
    return [s.text_with_ws for s in doc.sents]


@cache
def _sentencizer(lang: str):
    import spacy  # heavy: imported only when a long section must be split

    try:
        nlp = spacy.blank(lang)
    except Exception:  # noqa: BLE001 - spaCy raises several kinds for languages it lacks
        nlp = spacy.blank("xx")
    nlp.add_pipe("sentencizer")
    return nlp
