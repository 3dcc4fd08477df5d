"""Sentence embeddings for queries and passages, loaded once and lazily."""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


class Embedder:
    """Wraps any sentence-transformers model id or folder.

    e5 models need `query: ` / `passage: ` prompts; the rebuilt e5 folder declares them, and any other
    model without such prompts is used plainly.
    """

    def __init__(self, model: str, device: str = "cpu", threads: int = 1) -> None:
        self.model_name = model
        self._device = device
        self._threads = threads
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()

    @property
    def model(self) -> SentenceTransformer:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    import torch
                    from sentence_transformers import SentenceTransformer

                    # Servers use one thread: on 2 shared cores, intra-op parallelism made single queries
                    # 40x slower. Offline index builds may use more.
                    torch.set_num_threads(self._threads)
                    self._model = SentenceTransformer(self.model_name, device=self._device)
        return self._model

    def queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "query")

    def passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return self._encode(texts, "passage", show_progress)

    def _encode(self, texts: list[str], prompt: str, show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self.model
        prompt_name = prompt if prompt in (model.prompts or {}) else None
        vectors = model.encode(
            texts, prompt_name=prompt_name, normalize_embeddings=True, batch_size=32,
            show_progress_bar=show_progress, convert_to_numpy=True,
        )
        return np.asarray(vectors, dtype=np.float32)

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())
