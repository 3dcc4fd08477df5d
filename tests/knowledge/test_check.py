"""The editors' check over the real knowledge base, and the freshness report."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from bot.knowledge.__main__ import main
from bot.knowledge.check import check, freshness

KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"


def test_the_knowledge_base_passes_the_check_in_all_14_languages(capsys) -> None:
    assert main(["check"]) == 0
    assert "420 articles checked, 0 problem(s)" in capsys.readouterr().out


def test_every_topic_has_an_article_in_every_language() -> None:
    articles, problems = check(KNOWLEDGE)
    assert problems == []
    assert len({a.topic for a in articles}) == 30
    assert len({a.lang for a in articles}) == 14


def test_a_missing_translation_and_a_stale_one_are_reported(tmp_path: Path) -> None:
    root = tmp_path / "knowledge"
    root.mkdir()
    shutil.copy(KNOWLEDGE / "topics.yml", root / "topics.yml")
    shutil.copytree(KNOWLEDGE / "housing", root / "housing", ignore=shutil.ignore_patterns("[!e]*.md"))
    (root / "housing" / "de.md").write_text(
        (KNOWLEDGE / "housing" / "en.md").read_text().replace("lang: en", "lang: de").replace(
            "reviewed: 2026-11-27", "reviewed: 2026-01-01\ntranslated_from: en"))
    _, problems = check(root, ("en", "sv"))
    messages = [str(p) for p in problems]
    assert any("housing/sv.md" in m and "missing" in m for m in messages)
    assert any("housing/de.md" in m and "'reviewed'" in m and "older" in m for m in messages)


def test_freshness_lists_what_is_due_within_30_days() -> None:
    articles, _ = check(KNOWLEDGE, ())
    due = freshness(articles, dt.date(2027, 5, 1))
    assert due and all(days <= 30 for _, days in due)
    assert freshness(articles, dt.date(2026, 11, 27)) == []
