"""The evaluation command through the running product: the project's own cases and, where present,
the shared development set.

The floors below sit a little under what the product reaches now (November 2026), so that the run-to-run
noise of training (the SVM's probability calibration is randomised) does not fail them; they catch
regressions. The understanding issue's targets (hit@3 0.97, hit@1 0.80 in every language of the dev set)
are reported by `make eval`; see the README, "Understanding 14 languages".
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.evaluation.__main__ import load_cases, run_all, summarise
from tests.asyncio_thread import run as run_async

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
PROJECT_CASES = ROOT / "tests" / "eval" / "cases.yml"
DEV_CASES = ROOT.parent / "shared" / "eval" / "dev.yml"

# Measured: dev set hit@1 0.970, hit@3 0.982, lowest language 0.80 (es: 5 topic cases, so one miss costs
# 0.2; the floor allows that one miss, which a retrained model's calibration can shift).
PROJECT_FLOORS = {"topic_hit1": 0.92, "topic_hit3": 0.96, "per_language": 0.80}
DEV_FLOORS = {"topic_hit1": 0.90, "topic_hit3": 0.96, "per_language": 0.60}
# These hold everywhere: emergencies always recognised, a person offered, few confident wrong answers.
ALWAYS = {"emergency_recognised": 1.0, "person_offered": 0.90, "reply_in_user_language": 0.95}
MAX_CONFIDENT_WRONG = 0.03


def _check(summary: dict, floors: dict) -> list[str]:
    wanted = {**ALWAYS, "topic_hit1": floors["topic_hit1"], "topic_hit3": floors["topic_hit3"]}
    misses = [f"{key} {summary[key]} < {floor}" for key, floor in wanted.items() if summary[key] < floor]
    if summary["confident_wrong"] > MAX_CONFIDENT_WRONG:
        misses.append(f"confident_wrong {summary['confident_wrong']} > {MAX_CONFIDENT_WRONG}")
    misses += [f"topic hit@1 in {lang} {value} < {floors['per_language']}"
               for lang, value in summary["topic_hit1_by_language"].items() if value < floors["per_language"]]
    return misses


def test_project_cases_meet_the_targets(stack) -> None:
    summary = summarise(run_async(run_all(stack.url, load_cases(PROJECT_CASES), concurrency=2)))
    assert summary["errors"] == 0
    assert _check(summary, PROJECT_FLOORS) == [], json.dumps(summary, indent=1)


@pytest.mark.skipif(not DEV_CASES.exists(), reason="the shared development set is not beside this checkout")
def test_shared_dev_set_meets_the_targets(stack) -> None:
    summary = summarise(run_async(run_all(stack.url, load_cases(DEV_CASES), concurrency=2)))
    assert summary["errors"] == 0
    assert _check(summary, DEV_FLOORS) == [], json.dumps(summary, indent=1)


def test_the_command_prints_the_figures_and_writes_per_case_json(stack, tmp_path: Path) -> None:
    cases = tmp_path / "cases.yml"
    cases.write_text('cases:\n  - {id: x1, lang: sv, text: "Hej!", expect: greet}\n'
                     '  - {id: x2, lang: en, text: "How do I apply for a Swedish ID card?", expect: id-card}\n')
    out = tmp_path / "results.json"
    command = subprocess.run([sys.executable, "-m", "bot.evaluation", str(cases), "--url", stack.url,
                              "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert command.returncode == 0, command.stderr
    printed = command.stdout
    assert "topic hit@1" in printed and "latency p50" in printed and "accuracy by language" in printed
    results = json.loads(out.read_text())
    assert [c["id"] for c in results["cases"]] == ["x1", "x2"]
    assert results["cases"][0]["correct"] is True
