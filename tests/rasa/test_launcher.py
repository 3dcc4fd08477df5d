"""`python -m rasa_plugins`: Rasa's own check of action server responses, with the validator built once."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Runs in Rasa's venv: each response below is checked by the fixed and by Rasa's own method.
_SCRIPT = r"""
import json, sys
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
import rasa_plugins.__main__ as launcher

action = RemoteAction("action_answer", None)
original = RemoteAction._validate_action_result
assert launcher.install(), "not installed"
assert RemoteAction._validate_action_result is not original
results = []
for response in json.loads(sys.stdin.read()):
    outcome = []
    for check in (original, RemoteAction._validate_action_result):
        try:
            outcome.append(["ok", check(action, response)])
        except ValidationError as e:
            outcome.append(["invalid", e.message])
    results.append(outcome)
print(json.dumps(results))
"""

RESPONSES = [
    {"events": [{"event": "slot", "name": "topic", "value": "housing"}],
     "responses": [{"custom": {"text": "Bostadsförmedlingen ...", "meta": {"outcome": "answer"}}}]},
    {"events": [], "responses": []},
    {"events": [{"event": "slot"}], "responses": []},        # a slot event without a name
    {"events": "not a list", "responses": []},
    {"events": [{"event": "no_such_event"}], "responses": []},
    {"responses": [1, 2]},
]


def test_the_fixed_check_accepts_and_refuses_exactly_what_rasas_own_does() -> None:
    result = subprocess.run([str(ROOT / ".venv-rasa" / "bin" / "python"), "-c", _SCRIPT],
                            input=json.dumps(RESPONSES), cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 0, result.stderr[-3000:]
    outcomes = json.loads(result.stdout.strip().splitlines()[-1])
    for response, (rasas, ours) in zip(RESPONSES, outcomes, strict=True):
        assert ours == rasas, response
    assert [rasas[0] for rasas, _ in outcomes] == ["ok", "ok", "invalid", "invalid", "invalid", "invalid"]
