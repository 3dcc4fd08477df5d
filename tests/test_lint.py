"""The code passes ruff (style, imports, type-hinted arguments, likely bugs)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_passes() -> None:
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "bot", "actions", "nlu_components", "rasa_plugins", "tests"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
