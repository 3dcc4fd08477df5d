"""The knowledge index: incremental rebuilds, and a running retriever that picks up a rebuilt index."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from actions.settings import settings
from bot.knowledge.articles import load_articles, load_topics
from bot.knowledge.index import build_index
from bot.knowledge.retrieval import Retriever
from bot.nlp.embedder import Embedder

KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder(settings().embedding_model)


def _copy(topics: list[str], langs: list[str], root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(KNOWLEDGE / "topics.yml", root / "topics.yml")
    for topic in topics:
        (root / topic).mkdir(exist_ok=True)
        for lang in langs:
            shutil.copy(KNOWLEDGE / topic / f"{lang}.md", root / topic / f"{lang}.md")
    return root


def _articles(root: Path) -> list:
    return load_articles(root, load_topics(root / "topics.yml"))


def test_a_rebuild_embeds_only_what_changed(tmp_path: Path, embedder: Embedder) -> None:
    root = _copy(["housing", "sfi"], ["en", "sv"], tmp_path / "knowledge")
    first = build_index(_articles(root), embedder, tmp_path / "index", progress=False)
    assert first.embedded == first.entries > 0
    again = build_index(_articles(root), embedder, tmp_path / "index", progress=False)
    assert again.embedded == 0
    article = root / "sfi" / "en.md"
    article.write_text(article.read_text().replace("questions:\n", "questions:\n  - Is SFI free of charge?\n", 1))
    changed = build_index(_articles(root), embedder, tmp_path / "index", progress=False)
    assert changed.embedded == 1


def test_the_running_retriever_picks_up_a_rebuilt_index(tmp_path: Path, embedder: Embedder) -> None:
    root = _copy(["housing", "sfi"], ["en"], tmp_path / "knowledge")
    build_index(_articles(root), embedder, tmp_path / "index", progress=False)
    retriever = Retriever(tmp_path / "index", embedder)
    question = "How do I get a driving licence exchanged?"
    assert "driving-licence" not in [t.topic for t in retriever.search(question).topics]
    _copy(["driving-licence"], ["en"], root)
    build_index(_articles(root), embedder, tmp_path / "index", progress=False)
    assert retriever.search(question).topics[0].topic == "driving-licence"
    assert retriever.article("driving-licence", "en") is not None
