"""Router: task routing, max_active_dims with routing, max_seq_length fan-out."""

from __future__ import annotations

import pytest
import torch


def test_query_route_is_a_bag_of_words(inference_free_model):
    query = inference_free_model.encode_query("diabetes cat", convert_to_sparse_tensor=False)
    decoded = dict(inference_free_model.decode(query))
    assert set(decoded) == {"diabetes", "cat"} and all(w == 1.0 for w in decoded.values())


def test_document_route_expands(inference_free_model, splade_model):
    doc = inference_free_model.encode_document("diabetes cat", convert_to_sparse_tensor=False)
    assert (doc != 0).sum() > 2
    torch.testing.assert_close(doc, splade_model.encode("diabetes cat", convert_to_sparse_tensor=False))


def test_plain_encode_uses_the_default_document_route(inference_free_model):
    a = inference_free_model.encode("diabetes", convert_to_sparse_tensor=False)
    b = inference_free_model.encode_document("diabetes", convert_to_sparse_tensor=False)
    torch.testing.assert_close(a, b)


@pytest.mark.parametrize("max_active_dims", [None, 1, 5])
def test_routing_stays_correct_with_max_active_dims(inference_free_model, max_active_dims):
    query = inference_free_model.encode_query(["diabetes cat"], max_active_dims=max_active_dims).to_dense()[0]
    tokens = {t for t, _ in inference_free_model.decode(query)}
    assert tokens <= {"diabetes", "cat"} and len(tokens) == min(2, max_active_dims or 2)
    doc = inference_free_model.encode_document(["diabetes cat"], max_active_dims=max_active_dims).to_dense()[0]
    if max_active_dims:
        assert (doc != 0).sum() == max_active_dims


def test_no_route_and_no_default_is_an_error(tiny_mlm_dir):
    from transformers import AutoTokenizer

    from splade_search import MLMTransformer, Router, SparseStaticEmbedding, SpladePooling

    router = Router.for_query_document(
        [SparseStaticEmbedding(AutoTokenizer.from_pretrained(tiny_mlm_dir))],
        [MLMTransformer(tiny_mlm_dir), SpladePooling()],
        default_route=None,
    )
    with pytest.raises(ValueError, match="no route"):
        router.tokenize(["x"])


def test_max_seq_length_fans_out(inference_free_model):
    router = inference_free_model[0]
    inference_free_model.max_seq_length = 16
    assert router.sub_modules["query"][0].max_seq_length == 16
    assert router.sub_modules["document"][0].max_seq_length == 16
    assert inference_free_model.max_seq_length == 16


def test_get_model_kwargs_includes_task(inference_free_model, csr_model):
    assert "task" in inference_free_model.get_model_kwargs()
    assert {"task", "max_active_dims"} <= csr_model.get_model_kwargs()
