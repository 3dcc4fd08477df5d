"""Process-wide services of the action server, created on first use."""
from __future__ import annotations

from functools import lru_cache

from actions.settings import settings
from bot.knowledge.retrieval import Retriever
from bot.nlp import query_vector
from bot.nlp.embedder import Embedder
from bot.operator import load_operator


@lru_cache(maxsize=1)
def retriever() -> Retriever:
    return Retriever(settings().index_dir, Embedder(settings().embedding_model))


@lru_cache(maxsize=1)
def rasa_vector_model() -> str | None:
    """The tag of the question vectors Rasa sends that retrieval can use as they are (None: embed here)."""
    return query_vector.folder_tag(settings().embedding_model)


def operator() -> dict:
    # Read per answer: the file is tiny and operators expect edits to show without a restart.
    return load_operator(settings().operator_file)
