"""The operator's settings file (`config/operator.yml`): the House's own facts and opening hours."""
from __future__ import annotations

from pathlib import Path

import yaml


def load_operator(path: Path) -> dict:
    """Read the operator file; a missing file means nothing is set (the bot then says less, not wrong)."""
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{path}: must be a mapping, got {type(data).__name__}")
    house = data.get("house", {})
    if not isinstance(house, dict):
        raise ValueError(f"{path}: 'house' must be a mapping, got {house!r}")
    return data
