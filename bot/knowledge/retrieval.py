"""Ranking topics and passages for a question; picks up a rebuilt index without a restart."""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.knowledge.index import INDEX_FILE, ArticleInfo, Index, load_index

# Example questions are matched query-to-query and score higher than query-to-passage matches;
# this offset puts passages on the same scale (tuned on the evaluation sets).
PASSAGE_OFFSET = 0.03


@dataclass(frozen=True)
class TopicScore:
    topic: str
    score: float


@dataclass(frozen=True)
class Hit:
    topics: list[TopicScore]       # best first
    sections: dict[str, list[int]]  # per ranked topic: its section ordinals, best matching first


class _Loaded:
    """An index with the arrays that scoring needs, computed once per (re)load."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self.topic_names = sorted({e.topic for e in index.entries})
        position = {t: i for i, t in enumerate(self.topic_names)}
        self.topic_of = np.array([position[e.topic] for e in index.entries], dtype=np.int64)
        self.offset = np.array([PASSAGE_OFFSET if e.kind == "passage" else 0.0 for e in index.entries],
                               dtype=np.float32)
        rows: dict[str, list[int]] = {}
        for i, e in enumerate(index.entries):
            if e.kind == "passage":
                rows.setdefault(e.topic, []).append(i)
        self.passages_by = {topic: np.array(r) for topic, r in rows.items()}


class Retriever:
    def __init__(self, index_dir: Path, embedder) -> None:
        self._dir = index_dir
        self._embedder = embedder
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._loaded: _Loaded | None = None

    def _current(self) -> _Loaded:
        """Reload when the index file changed (a stat per query is far cheaper than an embedding)."""
        st = os.stat(self._dir / INDEX_FILE)
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp != self._stamp or self._loaded is None:
            with self._lock:
                if stamp != self._stamp or self._loaded is None:
                    self._loaded, self._stamp = _Loaded(load_index(self._dir)), stamp
        return self._loaded

    def article(self, topic: str, lang: str) -> ArticleInfo | None:
        return self._current().index.articles.get((topic, lang))

    def topics(self) -> list[str]:
        return self._current().topic_names

    def search(self, text: str, limit: int = 5) -> Hit:
        loaded = self._current()
        query = self._embedder.queries([text])[0]
        sims = loaded.index.vectors @ query
        scores = np.full(len(loaded.topic_names), -1.0, dtype=np.float32)
        np.maximum.at(scores, loaded.topic_of, sims + loaded.offset)
        order = np.argsort(-scores)[:limit]
        ranked = [TopicScore(loaded.topic_names[i], float(scores[i])) for i in order]
        sections: dict[str, list[int]] = {}
        for ts in ranked:
            rows = loaded.passages_by.get(ts.topic)
            if rows is None:
                continue
            ordered = [loaded.index.entries[i].section for i in rows[np.argsort(-sims[rows])]]
            sections[ts.topic] = list(dict.fromkeys(ordered))
        return Hit(ranked, sections)
