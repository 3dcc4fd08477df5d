"""The editors' check of the whole knowledge base, and the freshness report."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from bot.knowledge.articles import LANGUAGES, Article, ArticleError, load_article, load_topics


@dataclass(frozen=True)
class Problem:
    path: str
    field: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.path}: field '{self.field}': {self.message}" if self.field else f"{self.path}: {self.message}"


def check(root: Path, required_languages: tuple[str, ...] = LANGUAGES) -> tuple[list[Article], list[Problem]]:
    """Every problem of the knowledge base below `root`, not just the first."""
    problems: list[Problem] = []
    try:
        topics = load_topics(root / "topics.yml")
    except ArticleError as exc:
        return [], [Problem(exc.path, exc.field, exc.problem)]
    articles: list[Article] = []
    for path in sorted(root.glob("*/*.md")):
        if path.name == "README.md":
            continue
        try:
            articles.append(load_article(path, topics))
        except ArticleError as exc:
            problems.append(Problem(exc.path, exc.field, exc.problem))
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if folder.name not in topics:
            problems.append(Problem(str(folder), None, f"folder {folder.name!r} is not a topic id of topics.yml"))
    present = {(a.topic, a.lang): a for a in articles}
    for topic in topics:
        for lang in required_languages:
            if (topic, lang) not in present:
                problems.append(Problem(str(root / topic / f"{lang}.md"), None,
                                        f"missing: topic {topic!r} has no article in {lang!r}"))
    for article in articles:
        if article.translated_from:
            original = present.get((article.topic, article.translated_from))
            if original is None:
                problems.append(Problem(article.path, "translated_from",
                                        f"the source article in {article.translated_from!r} does not exist"))
            elif article.reviewed < original.reviewed:
                problems.append(Problem(article.path, "reviewed",
                                        f"{article.reviewed} is older than the source article's {original.reviewed}"))
        for related in article.related:
            if related not in topics:
                problems.append(Problem(article.path, "related", f"unknown topic id {related!r}"))
    return articles, problems


def freshness(articles: list[Article], today: dt.date, within_days: int = 30) -> list[tuple[Article, int]]:
    """Articles whose review_by has passed or comes within `within_days`, with days left (negative: overdue)."""
    due = [(a, (a.review_by - today).days) for a in articles]
    return sorted([(a, d) for a, d in due if d <= within_days], key=lambda x: (x[1], x[0].path))
