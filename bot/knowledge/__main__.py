"""Editors' commands: `python -m bot.knowledge check|freshness|build`."""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from bot.knowledge.articles import LANGUAGES
from bot.knowledge.check import check, freshness

ROOT = Path(__file__).resolve().parents[2]


def _languages(value: str) -> tuple[str, ...]:
    langs = tuple(v.strip() for v in value.split(",") if v.strip())
    bad = [v for v in langs if v not in LANGUAGES]
    if bad:
        raise argparse.ArgumentTypeError(f"unknown language code(s) {bad}; known: {', '.join(LANGUAGES)}")
    return langs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.knowledge", description=__doc__)
    parser.add_argument("--root", type=Path, default=ROOT / "knowledge", help="the knowledge folder")
    sub = parser.add_subparsers(dest="command", required=True)
    p_check = sub.add_parser("check", help="validate every article; exit 1 on any problem")
    p_check.add_argument("--languages", type=_languages, default=LANGUAGES,
                         help="languages every topic must have (comma-separated; default: all 14)")
    p_fresh = sub.add_parser("freshness", help="articles due for review within N days or overdue")
    p_fresh.add_argument("--days", type=int, default=30)
    p_fresh.add_argument("--today", type=dt.date.fromisoformat, default=dt.date.today())
    p_build = sub.add_parser("build", help="(re)build the retrieval index; only changed texts are embedded")
    p_build.add_argument("--index", type=Path, default=ROOT / "var" / "index")
    p_build.add_argument("--model", default=None, help="sentence-transformers model id or folder")
    args = parser.parse_args(argv)

    if args.command == "check":
        articles, problems = check(args.root, args.languages)
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"{len(articles)} articles checked, {len(problems)} problem(s)")
        return 1 if problems else 0
    if args.command == "freshness":
        articles, problems = check(args.root, ())
        for problem in problems:
            print(problem, file=sys.stderr)
        due = freshness(articles, args.today, args.days)
        for article, days in due:
            state = f"overdue by {-days} days" if days < 0 else f"due in {days} days"
            print(f"{article.review_by}  {state:>18}  {article.path}")
        print(f"{len(due)} of {len(articles)} articles need review within {args.days} days")
        return 0
    return _build(args)


def _build(args: argparse.Namespace) -> int:
    from actions.settings import settings
    from bot.knowledge.index import build_index
    from bot.nlp.embedder import Embedder

    articles, problems = check(args.root, ())
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        print("fix the problems above first (python -m bot.knowledge check)", file=sys.stderr)
        return 1
    threads = max(1, min(4, os.cpu_count() or 1))
    report = build_index(articles, Embedder(args.model or settings().embedding_model, threads=threads), args.index)
    print(f"index: {report.entries} entries, {report.embedded} embedded now, {report.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
