"""The knowledge index: embeddings of every passage and example question, rebuilt incrementally."""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
from tqdm import tqdm

from bot.knowledge.articles import Article
from bot.knowledge.passages import sections, split_article
from bot.nlp.embedder import Embedder

INDEX_FILE = "index.npz"


@dataclass(frozen=True)
class Entry:
    """One embedded text: a passage of an article, or an example question that the article answers."""

    kind: str          # "passage" | "question"
    topic: str
    lang: str
    key: str           # content hash; the vector cache is keyed by it
    text: str
    heading: str = ""
    section: int = 0   # the passage's section ordinal (0: introduction)


@dataclass(frozen=True)
class ArticleInfo:
    """What an answer cites: kept in the index so a rebuilt index brings its own metadata."""

    topic: str
    lang: str
    title: str
    sources: list[dict]
    reviewed: str
    related: list[str]
    sections: list[list[str]]  # [heading, text] per section, so answers need no file access


@dataclass
class Index:
    model: str
    entries: list[Entry]
    vectors: np.ndarray
    articles: dict[tuple[str, str], ArticleInfo]
    # A linear topic classifier over the example questions' vectors (rows follow `topics`).
    topics: list[str] = field(default_factory=list)
    weights: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    bias: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))


@dataclass(frozen=True)
class BuildReport:
    entries: int
    embedded: int      # texts embedded in this build (the rest came from the previous index)
    seconds: float


# Passages are embedded in the original languages only: translations keep the same sections in the
# same order, so the best section found in English or Swedish is shown from the talent's own article.
# This keeps the index small (a build embeds ~600 passages instead of ~4000); example questions in every
# language carry the matching of the talent's own wording.
PASSAGE_LANGUAGES = ("en", "sv")


def entries_for(articles: list[Article], passage_languages: tuple[str, ...] = PASSAGE_LANGUAGES) -> list[Entry]:
    result: list[Entry] = []
    for article in articles:
        if article.lang not in passage_languages:
            continue
        for passage in split_article(article):
            result.append(Entry("passage", article.topic, article.lang, "p" + passage.key,
                                passage.embedding_text(), passage.heading, passage.section))
    for article in articles:
        for question in (article.title, *article.questions):
            digest = hashlib.sha256(f"{article.topic}\x1f{question}".encode()).hexdigest()[:24]
            result.append(Entry("question", article.topic, article.lang, "q" + digest, question))
    return result


def build_index(articles: list[Article], embedder: Embedder, out_dir: Path, progress: bool = True) -> BuildReport:
    """Embed what changed since the last build and write the index atomically."""
    import time

    started = time.perf_counter()
    entries = entries_for(articles)
    cache = _load_cache(out_dir, embedder.model_name)
    todo = [e for e in entries if e.key not in cache]
    for kind, encode in (("passage", embedder.passages), ("question", embedder.queries)):
        batch = [e for e in todo if e.kind == kind]
        for start in tqdm(range(0, len(batch), 64), desc=f"embedding {kind}s", unit="batch",
                          disable=not progress or not batch):
            chunk = batch[start:start + 64]
            for entry, vector in zip(chunk, encode([e.text for e in chunk]), strict=False):
                cache[entry.key] = vector
    vectors = (np.stack([cache[e.key] for e in entries]) if entries
               else np.zeros((0, 1), dtype=np.float32))
    infos = [ArticleInfo(a.topic, a.lang, a.title, [{"title": s.title, "url": s.url} for s in a.sources],
                         a.reviewed.isoformat(), list(a.related), [list(pair) for pair in sections(a)])
             for a in articles]
    topics, weights, bias = train_topic_classifier(entries, vectors)
    _write(out_dir, Index(embedder.model_name, entries, vectors, {(i.topic, i.lang): i for i in infos},
                          topics, weights, bias))
    return BuildReport(len(entries), len(todo), time.perf_counter() - started)


def train_topic_classifier(entries: list[Entry], vectors: np.ndarray) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Logistic regression from question vectors to topics: it learns which directions of the
    embedding space separate topics, where nearest neighbours only see the closest example."""
    from sklearn.linear_model import LogisticRegression

    rows = [i for i, e in enumerate(entries) if e.kind == "question"]
    labels = [entries[i].topic for i in rows]
    topics = sorted(set(labels))
    if len(topics) < 2:
        return topics, np.zeros((len(topics), vectors.shape[1]), np.float32), np.zeros(len(topics), np.float32)
    model = LogisticRegression(C=8.0, max_iter=3000).fit(vectors[rows], labels)
    coef, intercept = model.coef_, model.intercept_
    if len(topics) == 2:
        # Two classes are fitted as one logit for the second; a zero logit for the first gives the
        # same probabilities under softmax.
        coef = np.vstack([np.zeros_like(coef[0]), coef[0]])
        intercept = np.array([0.0, intercept[0]])
    order = [list(model.classes_).index(t) for t in topics]
    return topics, coef[order].astype(np.float32), intercept[order].astype(np.float32)


def row_order_key(entry: Entry) -> tuple[str, bool]:
    """Rows are kept grouped by topic, questions first, so a topic's rows are one slice of the vectors."""
    return entry.topic, entry.kind != "question"


def in_row_order(index: Index) -> Index:
    """`index` with its rows in `row_order_key` order; the same object when they already are."""
    keys = [row_order_key(e) for e in index.entries]
    if all(a <= b for a, b in zip(keys, keys[1:], strict=False)):
        return index
    order = sorted(range(len(keys)), key=keys.__getitem__)
    return replace(index, entries=[index.entries[i] for i in order], vectors=index.vectors[np.asarray(order)])


def _load_cache(out_dir: Path, model_name: str) -> dict[str, np.ndarray]:
    try:
        loaded = load_index(out_dir)
    except FileNotFoundError:
        return {}
    if loaded.model != model_name:
        return {}
    return {e.key: v for e, v in zip(loaded.entries, loaded.vectors, strict=False)}


def _write(out_dir: Path, index: Index) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    index = in_row_order(index)
    # One file holds entries and vectors and is replaced atomically, so a running reader never sees
    # one without the other.
    payload = json.dumps({
        "model": index.model,
        "entries": [asdict(e) for e in index.entries],
        "articles": [asdict(a) for a in index.articles.values()],
        "topics": index.topics,
    }, ensure_ascii=False)
    fd, tmp = tempfile.mkstemp(dir=out_dir, suffix=".npz")
    with os.fdopen(fd, "wb") as fh:
        np.savez(fh, vectors=index.vectors.astype(np.float32), weights=index.weights, bias=index.bias,
                 meta=np.frombuffer(payload.encode(), dtype=np.uint8))
    os.replace(tmp, out_dir / INDEX_FILE)


def load_index(out_dir: Path) -> Index:
    with np.load(out_dir / INDEX_FILE) as data:
        meta = json.loads(data["meta"].tobytes().decode())
        vectors = data["vectors"]
        # An index from before the topic classifier existed still loads (and serves its vectors as cache).
        weights = data["weights"] if "weights" in data.files else np.zeros((0, 0), np.float32)
        bias = data["bias"] if "bias" in data.files else np.zeros(0, np.float32)
    infos = [ArticleInfo(**a) for a in meta["articles"]]
    return Index(meta["model"], [Entry(**e) for e in meta["entries"]], vectors,
                 {(i.topic, i.lang): i for i in infos}, meta.get("topics", []), weights, bias)
