"""Ranking topics and sections for a question; picks up a rebuilt index without a restart."""
from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.knowledge.index import INDEX_FILE, ArticleInfo, Index, in_row_order, load_index
from bot.nlp.embedder import Embedder

# A topic's score blends three views of the question (weights tuned on the project's and the shared
# evaluation sets, see README "Understanding"): how close it is to the topic's three closest example
# questions (any language), to the topic's best passage, and what the topic classifier says.
QUESTION_WEIGHT = 0.7
PASSAGE_WEIGHT = 0.3
CLASSIFIER_WEIGHT = 0.05
CLOSEST_QUESTIONS = 3
# A knowledge base with more topics than this is ranked in two stages: the topics whose centroids (and
# classifier) are closest to the question are shortlisted, and only their rows are scored exactly. At or
# below it every topic is scored exactly; the real knowledge base has 30.
SHORTLIST_TOPICS = 64
SHORTLIST_BY_CLASSIFIER = 16


@dataclass(frozen=True)
class TopicScore:
    topic: str
    score: float
    probability: float = 0.0  # the topic classifier's alone


@dataclass(frozen=True)
class Hit:
    topics: list[TopicScore]        # best first
    sections: dict[str, list[int]]  # per ranked topic: its section ordinals, best matching first


def _group(index: Index) -> tuple[Index, list[str], np.ndarray, np.ndarray]:
    """The index in row order, and per topic where its questions and its passages start and end."""
    index = in_row_order(index)  # builds write this order; only older files are reordered (a copy)
    topics = sorted({e.topic for e in index.entries})
    position = {t: i for i, t in enumerate(topics)}
    keys = np.fromiter((position[e.topic] * 2 + (e.kind != "question") for e in index.entries),
                       dtype=np.int64, count=len(index.entries))
    # bounds[2t]..bounds[2t+1] are topic t's questions, bounds[2t+1]..bounds[2t+2] its passages.
    bounds = np.searchsorted(keys, np.arange(2 * len(topics) + 1), side="left")
    return index, topics, bounds[0::2], bounds[1::2]


class _Loaded:
    """An index with the arrays that scoring needs, computed once per (re)load."""

    def __init__(self, index: Index, shortlist_topics: int = SHORTLIST_TOPICS) -> None:
        self.index, self.topic_names, starts, middles = _group(index)
        self.shortlist_topics = shortlist_topics
        self.question_bounds = np.stack([starts[:-1], middles[:len(self.topic_names)]], axis=1)
        self.passage_bounds = np.stack([middles[:len(self.topic_names)], starts[1:]], axis=1)
        self.position = {t: i for i, t in enumerate(self.topic_names)}
        classifier_position = {t: i for i, t in enumerate(self.index.topics)}
        self.classifier_row = np.array([classifier_position.get(t, -1) for t in self.topic_names], dtype=np.int64)
        self.centroids = self._centroids() if len(self.topic_names) > shortlist_topics else None

    def _centroids(self) -> np.ndarray:
        """Per topic, the blend of its questions' and its passages' mean directions."""
        vectors = self.index.vectors
        result = np.zeros((len(self.topic_names), vectors.shape[1]), dtype=np.float32)
        for t, ((qs, qe), (ps, pe)) in enumerate(zip(self.question_bounds, self.passage_bounds, strict=True)):
            for weight, (start, end) in ((QUESTION_WEIGHT, (qs, qe)), (PASSAGE_WEIGHT, (ps, pe))):
                if end > start:
                    mean = vectors[start:end].mean(axis=0)
                    result[t] += weight * mean / max(float(np.linalg.norm(mean)), 1e-9)
        return result

    def probabilities(self, query: np.ndarray) -> np.ndarray:
        """The topic classifier's probability per topic (zeros without a classifier)."""
        probability = np.zeros(len(self.topic_names), dtype=np.float32)
        if self.index.weights.size:
            logits = self.index.weights @ query + self.index.bias
            probabilities = np.exp(logits - logits.max())
            probabilities /= probabilities.sum()
            known = self.classifier_row >= 0
            probability[known] = probabilities[self.classifier_row[known]]
        return probability

    def shortlist(self, query: np.ndarray, probability: np.ndarray, include: Iterable[str]) -> np.ndarray:
        """The topics to score exactly: all of them in a knowledge base of up to `shortlist_topics`."""
        if self.centroids is None:
            return np.arange(len(self.topic_names))
        closeness = self.centroids @ query + CLASSIFIER_WEIGHT * probability
        chosen = np.argpartition(-closeness, self.shortlist_topics - 1)[:self.shortlist_topics]
        by_classifier = np.argpartition(-probability, SHORTLIST_BY_CLASSIFIER - 1)[:SHORTLIST_BY_CLASSIFIER]
        extra = [self.position[t] for t in include if t in self.position]
        return np.unique(np.concatenate([chosen, by_classifier, np.asarray(extra, dtype=np.int64)]))


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

    def warm_up(self, embedder: bool = True) -> None:
        self._current()
        if embedder:
            self._embedder.queries(["warm-up"])

    def outline(self, topic: str) -> Hit:
        """A topic chosen without a question to rank its sections by: its sections in article order."""
        loaded = self._current()
        start, end = loaded.passage_bounds[loaded.position[topic]]
        ordinals = list(dict.fromkeys(e.section for e in loaded.index.entries[start:end]))
        return Hit([TopicScore(topic, 1.0)], {topic: sorted(ordinals)})

    def search(self, text: str, limit: int = 5, query: np.ndarray | None = None,
               include: Iterable[str] = ()) -> Hit:
        """Rank topics for `text`; `query` is its embedding when the caller has it already (Rasa computed
        it), and topics in `include` are ranked whatever their place (a topic chosen on a button)."""
        loaded = self._current()
        if query is None:
            query = self._embedder.queries([text])[0]
        return self.rank(loaded, query, limit, include)

    @staticmethod
    def rank(loaded: _Loaded, query: np.ndarray, limit: int = 5, include: Iterable[str] = ()) -> Hit:
        include = list(include)
        vectors, entries = loaded.index.vectors, loaded.index.entries
        probability = loaded.probabilities(query)
        candidates = loaded.shortlist(query, probability, include)
        scores = np.full(len(loaded.topic_names), -np.inf, dtype=np.float32)
        passage_sims: dict[int, np.ndarray] = {}
        for t in candidates:
            (qs, qe), (ps, pe) = loaded.question_bounds[t], loaded.passage_bounds[t]
            q = vectors[qs:qe] @ query if qe > qs else np.zeros(1, dtype=np.float32)
            k = min(CLOSEST_QUESTIONS, len(q))
            closest = np.partition(q, len(q) - k)[len(q) - k:].mean()
            p = passage_sims[t] = vectors[ps:pe] @ query
            passage = p.max() if len(p) else closest
            scores[t] = QUESTION_WEIGHT * closest + PASSAGE_WEIGHT * passage + CLASSIFIER_WEIGHT * probability[t]
        order = [int(i) for i in np.argsort(-scores)[:limit] if np.isfinite(scores[i])]
        order += [loaded.position[t] for t in include if t in loaded.position and loaded.position[t] not in order]
        ranked = [TopicScore(loaded.topic_names[i], float(scores[i]), float(probability[i])) for i in order]
        sections: dict[str, list[int]] = {}
        for i in order:
            sims = passage_sims[i]
            if len(sims):
                start = loaded.passage_bounds[i][0]
                ordered = [entries[start + r].section for r in np.argsort(-sims)]
                sections[loaded.topic_names[i]] = list(dict.fromkeys(ordered))
        return Hit(ranked, sections)
