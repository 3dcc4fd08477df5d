"""Ranking topics and sections for a question; picks up a rebuilt index without a restart."""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.knowledge.index import INDEX_FILE, ArticleInfo, Index, load_index
from bot.nlp.embedder import Embedder

# A topic's score blends three views of the question (weights tuned on the project's and the shared
# evaluation sets, see README "Understanding"): how close it is to the topic's three closest example
# questions (any language), to the topic's best passage, and what the topic classifier says.
QUESTION_WEIGHT = 0.7
PASSAGE_WEIGHT = 0.3
CLASSIFIER_WEIGHT = 0.05
CLOSEST_QUESTIONS = 3


@dataclass(frozen=True)
class TopicScore:
    topic: str
    score: float
    probability: float = 0.0  # the topic classifier's alone


@dataclass(frozen=True)
class Hit:
    topics: list[TopicScore]        # best first
    sections: dict[str, list[int]]  # per ranked topic: its section ordinals, best matching first


class _Loaded:
    """An index with the arrays that scoring needs, computed once per (re)load."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self.topic_names = sorted({e.topic for e in index.entries})
        questions: dict[str, list[int]] = {t: [] for t in self.topic_names}
        passages: dict[str, list[int]] = {t: [] for t in self.topic_names}
        for i, e in enumerate(index.entries):
            (questions if e.kind == "question" else passages)[e.topic].append(i)
        self.question_rows = [np.array(questions[t], dtype=np.int64) for t in self.topic_names]
        self.passage_rows = [np.array(passages[t], dtype=np.int64) for t in self.topic_names]
        position = {t: i for i, t in enumerate(index.topics)}
        self.classifier_row = np.array([position.get(t, -1) for t in self.topic_names])


class Retriever:
    def __init__(self, index_dir: Path, embedder: Embedder) -> None:
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

    def warm_up(self) -> None:
        self._current()
        self._embedder.queries(["warm-up"])

    def search(self, text: str, limit: int = 5) -> Hit:
        loaded = self._current()
        query = self._embedder.queries([text])[0]
        return self.rank(loaded, query, limit)

    @staticmethod
    def rank(loaded: _Loaded, query: np.ndarray, limit: int = 5) -> Hit:
        index = loaded.index
        sims = index.vectors @ query
        scores = np.zeros(len(loaded.topic_names), dtype=np.float32)
        probability = np.zeros(len(loaded.topic_names), dtype=np.float32)
        for t, (q_rows, p_rows) in enumerate(zip(loaded.question_rows, loaded.passage_rows, strict=False)):
            q = sims[q_rows] if len(q_rows) else np.zeros(1, dtype=np.float32)
            k = min(CLOSEST_QUESTIONS, len(q))
            closest = np.partition(q, len(q) - k)[len(q) - k:].mean()
            passage = sims[p_rows].max() if len(p_rows) else closest
            scores[t] = QUESTION_WEIGHT * closest + PASSAGE_WEIGHT * passage
        if index.weights.size:
            logits = index.weights @ query + index.bias
            probabilities = np.exp(logits - logits.max())
            probabilities /= probabilities.sum()
            known = loaded.classifier_row >= 0
            probability[known] = probabilities[loaded.classifier_row[known]]
            scores += CLASSIFIER_WEIGHT * probability
        order = np.argsort(-scores)[:limit]
        ranked = [TopicScore(loaded.topic_names[i], float(scores[i]), float(probability[i])) for i in order]
        sections: dict[str, list[int]] = {}
        for i in order:
            rows = loaded.passage_rows[i]
            if len(rows):
                ordered = [index.entries[r].section for r in rows[np.argsort(-sims[rows])]]
                sections[loaded.topic_names[i]] = list(dict.fromkeys(ordered))
        return Hit(ranked, sections)
