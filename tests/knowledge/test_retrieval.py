"""Ranking: rows in any order rank alike, large knowledge bases are ranked in two stages, chosen topics."""
from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import yaml

from actions.settings import settings
from bot.bench.retrieval import synthetic
from bot.knowledge import retrieval
from bot.knowledge.index import load_index
from bot.knowledge.retrieval import Retriever, _Loaded
from bot.nlp.embedder import Embedder

CASES = Path(__file__).resolve().parents[1] / "eval" / "cases.yml"


@pytest.fixture(scope="module")
def real_index():
    return load_index(settings().index_dir)


@pytest.fixture(scope="module")
def questions() -> np.ndarray:
    """The project's evaluation questions that expect a topic, embedded once."""
    topics = {t["id"] for t in yaml.safe_load((settings().index_dir.parents[1] / "knowledge" / "topics.yml")
                                              .read_text())["topics"]}
    texts = [c["text"] for c in yaml.safe_load(CASES.read_text())["cases"] if c["expect"] in topics][::3]
    return Embedder(settings().embedding_model).queries(texts)


def _ranking(loaded: _Loaded, query: np.ndarray) -> list[tuple[str, float]]:
    return [(t.topic, round(t.score, 5)) for t in Retriever.rank(loaded, query, 5).topics]


def test_rows_in_any_order_rank_the_same(real_index, questions: np.ndarray) -> None:
    order = list(range(len(real_index.entries)))
    random.Random(7).shuffle(order)
    shuffled = replace(real_index, entries=[real_index.entries[i] for i in order],
                       vectors=real_index.vectors[np.asarray(order)])
    ordered, scattered = _Loaded(real_index), _Loaded(shuffled)
    for query in questions:
        assert _ranking(ordered, query) == _ranking(scattered, query)
        assert (Retriever.rank(ordered, query).sections == Retriever.rank(scattered, query).sections)


def test_the_real_knowledge_base_is_ranked_exhaustively(real_index) -> None:
    assert len(_Loaded(real_index).topic_names) <= retrieval.SHORTLIST_TOPICS


def test_a_large_knowledge_base_is_shortlisted_and_ranks_like_exhaustive_ranking(
        real_index, questions: np.ndarray) -> None:
    large = synthetic(real_index, 5)  # 150 topics: each real topic and 4 noisy copies of it
    shortlisted = _Loaded(large)
    assert shortlisted.centroids is not None
    exhaustive = _Loaded(large, shortlist_topics=10_000)
    assert exhaustive.centroids is None
    same_best = 0
    for query in questions:
        fast, full = Retriever.rank(shortlisted, query, 5), Retriever.rank(exhaustive, query, 5)
        # A shortlisted topic's score is its exact score.
        exact = {t.topic: t.score for t in Retriever.rank(exhaustive, query, 1000).topics}
        assert all(abs(t.score - exact[t.topic]) < 1e-5 for t in fast.topics)
        same_best += fast.topics[0].topic == full.topics[0].topic
    assert same_best / len(questions) >= 0.97, f"{same_best} of {len(questions)}"


def test_a_chosen_topic_is_ranked_with_its_sections_whatever_its_place(real_index, questions) -> None:
    loaded = _Loaded(real_index)
    query = questions[0]
    last = Retriever.rank(loaded, query, 1000).topics[-1].topic
    hit = Retriever.rank(loaded, query, 5, include=[last, "no-such-topic"])
    assert [t.topic for t in hit.topics][-1] == last and len(hit.topics) == 6
    assert hit.sections[last]
