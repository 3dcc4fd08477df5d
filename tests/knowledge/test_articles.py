"""The article loader names the file and the field of every problem."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.knowledge.articles import ArticleError, load_topics, parse_article

TOPICS = load_topics(Path(__file__).resolve().parents[2] / "knowledge" / "topics.yml")
GOOD = """---
topic: housing
lang: en
title: Finding housing
sources:
  - title: Bostadsförmedlingen
    url: https://bostad.stockholm.se/en/
reviewed: 2026-11-27
review_by: 2027-05-27
---
Intro.

## Queue
Stand in the queue.
"""


def test_a_good_article_parses() -> None:
    article = parse_article(GOOD, "knowledge/housing/en.md", TOPICS)
    assert article.topic == "housing" and article.lang == "en"
    assert article.sources[0].url == "https://bostad.stockholm.se/en/"
    assert str(article.reviewed) == "2026-11-27"


def test_a_url_with_three_dashes_does_not_end_the_front_matter() -> None:
    text = GOOD.replace("https://bostad.stockholm.se/en/", "https://example.se/unemployed---what-happens-now")
    assert parse_article(text, "knowledge/housing/en.md", TOPICS).sources[0].url.endswith("---what-happens-now")


@pytest.mark.parametrize(("change", "field", "words"), [
    (("topic: housing", "topic: flats"), "topic", "unknown topic id 'flats'"),
    (("lang: en", "lang: xx"), "lang", "unsupported language 'xx'"),
    (("title: Finding housing\n", ""), "title", "is missing"),
    (("https://bostad.stockholm.se/en/", "http://bostad.stockholm.se/en/"), "sources[0].url", "https URL"),
    (("reviewed: 2026-11-27", "reviewed: 27/11/2026"), "reviewed", "YYYY-MM-DD"),
    (("review_by: 2027-05-27", "review_by: 2025-01-01"), "review_by", "before reviewed"),
])
def test_errors_name_the_file_and_the_field(change: tuple[str, str], field: str, words: str) -> None:
    with pytest.raises(ArticleError) as caught:
        parse_article(GOOD.replace(*change), "knowledge/housing/en.md", TOPICS)
    assert caught.value.field == field
    assert "knowledge/housing/en.md" in str(caught.value) and words in str(caught.value)


def test_file_name_must_match_the_language() -> None:
    with pytest.raises(ArticleError, match="does not match the file name"):
        parse_article(GOOD, "knowledge/housing/sv.md", TOPICS)


def test_no_front_matter() -> None:
    with pytest.raises(ArticleError, match="no YAML front matter"):
        parse_article("# Just text", "knowledge/housing/en.md", TOPICS)
