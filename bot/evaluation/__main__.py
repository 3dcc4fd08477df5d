"""`python -m bot.evaluation CASES.yml`: evaluate the running product through its conversation API."""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import httpx
import yaml

from bot.evaluation.scoring import PERSON, CaseResult, score
from bot.nlp.language import identify


def load_cases(path: Path) -> list[dict]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    cases = data.get("cases") if isinstance(data, dict) else None
    if not isinstance(cases, list):
        raise SystemExit(f"{path}: expected a mapping with a 'cases' list")
    for i, case in enumerate(cases):
        for key in ("id", "lang", "text", "expect"):
            if key not in case:
                raise SystemExit(f"{path}: case {i} has no '{key}'")
    return cases


# The product limits new conversations per client address (600 a minute by default), and the evaluator is
# one address asking hundreds of questions: it waits as the 429's Retry-After says, this many times.
RATE_LIMIT_RETRIES = 5


async def _post(client: httpx.AsyncClient, url: str, **kwargs: object) -> tuple[httpx.Response, float]:
    """POST, waiting out the product's rate limit; the response and the seconds its last attempt took."""
    for _ in range(RATE_LIMIT_RETRIES):
        started = time.perf_counter()
        response = await client.post(url, **kwargs)
        elapsed = time.perf_counter() - started
        if response.status_code != 429:
            break
        await asyncio.sleep(min(float(response.headers.get("retry-after") or 1), 60.0))
    return response, elapsed


async def run_case(client: httpx.AsyncClient, case: dict) -> CaseResult:
    result = CaseResult(case["id"], case["lang"], case["text"], case["expect"], list(case.get("also") or []))
    try:
        created = (await _post(client, "/api/v1/conversations", json={"channel": "api"}))[0].raise_for_status().json()
        headers = {"Authorization": f"Bearer {created['token']}"}
        response, elapsed = await _post(client, f"/api/v1/conversations/{created['conversation_id']}/messages",
                                        headers=headers, json={"text": case["text"]})
        result.latency_ms = elapsed * 1000
        body = response.raise_for_status().json()
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        result.error = repr(exc)
        return result
    result.reply_language = body.get("language")
    replies = body.get("replies") or []
    if replies:
        text = replies[0].get("text") or ""
        result.text_language = identify(text)[0] if len(text) > 20 else body.get("language")
    return score(result, replies)


async def run_all(url: str, cases: list[dict], concurrency: int) -> list[CaseResult]:
    limit = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        async def one(case: dict) -> CaseResult:
            async with limit:
                return await run_case(client, case)
        return await asyncio.gather(*(one(c) for c in cases))


def summarise(results: list[CaseResult]) -> dict:
    def rate(items: list[bool]) -> float | None:
        return round(sum(items) / len(items), 4) if items else None

    topical = [r for r in results if r.hit1 is not None]
    by_expect: dict[str, list[bool]] = defaultdict(list)
    by_lang: dict[str, list[bool]] = defaultdict(list)
    topic_by_lang: dict[str, list[bool]] = defaultdict(list)
    for r in results:
        by_expect[r.expect].append(r.correct)
        by_lang[r.lang].append(r.correct)
        if r.hit1 is not None:
            topic_by_lang[r.lang].append(bool(r.hit1))
    latencies = sorted(r.latency_ms for r in results if r.error is None)
    return {
        "cases": len(results),
        "errors": sum(r.error is not None for r in results),
        "accuracy": rate([r.correct for r in results]),
        "topic_hit1": rate([bool(r.hit1) for r in topical]),
        "topic_hit3": rate([bool(r.hit3) for r in topical]),
        "topic_hit1_by_language": {k: rate(v) for k, v in sorted(topic_by_lang.items())},
        "emergency_recognised": rate([r.correct for r in results if r.expect == "emergency"]),
        "person_offered": rate([r.correct for r in results if r.expect in PERSON]),
        "confident_wrong": rate([r.confident_wrong for r in results]),
        "reply_in_user_language": rate([r.text_language == r.lang for r in results if r.error is None]),
        "api_language_matches": rate([r.reply_language == r.lang for r in results if r.error is None]),
        "latency_ms": {
            "p50": round(statistics.median(latencies), 1) if latencies else None,
            "p95": round(latencies[int(0.95 * (len(latencies) - 1))], 1) if latencies else None,
        },
        "accuracy_by_expect": {k: rate(v) for k, v in sorted(by_expect.items())},
        "accuracy_by_language": {k: rate(v) for k, v in sorted(by_lang.items())},
    }


def print_report(summary: dict, results: list[CaseResult], worst: int) -> None:
    print(f"cases {summary['cases']}  errors {summary['errors']}  accuracy {summary['accuracy']}")
    print(f"topic hit@1 {summary['topic_hit1']}  hit@3 {summary['topic_hit3']}  "
          f"confident wrong {summary['confident_wrong']}")
    print(f"emergencies recognised {summary['emergency_recognised']}  person offered {summary['person_offered']}  "
          f"reply in user's language {summary['reply_in_user_language']}")
    print(f"latency p50 {summary['latency_ms']['p50']} ms  p95 {summary['latency_ms']['p95']} ms")
    print("accuracy by expected topic/behaviour:")
    for key, value in summary["accuracy_by_expect"].items():
        print(f"  {key:28} {value}")
    print("accuracy by language (topic hit@1 in brackets):")
    for key, value in summary["accuracy_by_language"].items():
        print(f"  {key:4} {value}  [{summary['topic_hit1_by_language'].get(key)}]")
    wrong = [r for r in results if not r.correct]
    if wrong and worst:
        print(f"failed cases (first {worst}):")
        for r in sorted(wrong, key=lambda r: (not r.confident_wrong, r.expect))[:worst]:
            got = r.error or f"{r.outcome}/{r.topic or r.intent} {r.candidates if r.outcome == 'clarify' else ''}"
            print(f"  {r.id} [{r.lang}] expect {r.expect}: got {got} :: {r.text[:90]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.evaluation", description=__doc__)
    parser.add_argument("cases", type=Path)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--out", type=Path, default=Path("var/eval/results.json"))
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--worst", type=int, default=30)
    args = parser.parse_args(argv)
    results = asyncio.run(run_all(args.url, load_cases(args.cases), args.concurrency))
    summary = summarise(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"summary": summary, "cases": [r.__dict__ for r in results]},
                                   ensure_ascii=False, indent=1), encoding="utf-8")
    print_report(summary, results, args.worst)
    print(f"per-case results: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
