"""Folders move both ways between splade-search and the real sentence-transformers package."""

from __future__ import annotations

import pytest
import torch

st = pytest.importorskip("sentence_transformers")

from splade_search import SparseEncoder  # noqa: E402

TEXTS = ["what causes diabetes", "the cat and the dog", "insulin and blood sugar level"]


def embeddings(model, method: str) -> torch.Tensor:
    out = getattr(model, method)(TEXTS, convert_to_tensor=True, convert_to_sparse_tensor=False)
    return out.to_dense() if out.is_sparse else out


def assert_same(ours, theirs) -> None:
    for method in ("encode_query", "encode_document"):
        torch.testing.assert_close(embeddings(ours, method), embeddings(theirs, method), atol=1e-5, rtol=1e-5)


def st_inference_free(tiny_mlm_dir):
    from sentence_transformers.sparse_encoder.modules import MLMTransformer, SparseStaticEmbedding, SpladePooling
    from sentence_transformers.base.modules import Router
    from transformers import AutoTokenizer

    static = SparseStaticEmbedding(AutoTokenizer.from_pretrained(tiny_mlm_dir), frozen=True)
    with torch.no_grad():
        static.weight.copy_(torch.rand_like(static.weight))
    router = Router.for_query_document([static], [MLMTransformer(tiny_mlm_dir), SpladePooling("max")])
    return st.SparseEncoder(modules=[router], device="cpu")


def test_splade_saved_here_loads_there(splade_model, tmp_path):
    splade_model.save(str(tmp_path))
    theirs = st.SparseEncoder(str(tmp_path), device="cpu")
    assert_same(splade_model, theirs)
    assert theirs.similarity_fn_name == "dot"


def test_inference_free_saved_here_loads_there(inference_free_model, tmp_path):
    static = inference_free_model[0].sub_modules["query"][0]
    with torch.no_grad():
        static.weight.copy_(torch.rand_like(static.weight))
    inference_free_model.save(str(tmp_path))
    theirs = st.SparseEncoder(str(tmp_path), device="cpu")
    assert_same(inference_free_model, theirs)


def test_csr_saved_here_loads_there(csr_model, tmp_path):
    csr_model.save(str(tmp_path))
    theirs = st.SparseEncoder(str(tmp_path), device="cpu")
    assert theirs.max_active_dims == 16
    assert_same(csr_model, theirs)


def test_splade_saved_there_loads_here(tiny_mlm_dir, tmp_path):
    theirs = st.SparseEncoder(tiny_mlm_dir, device="cpu")
    theirs.save(str(tmp_path))
    ours = SparseEncoder(str(tmp_path), device="cpu")
    assert_same(ours, theirs)


def test_inference_free_saved_there_loads_here(tiny_mlm_dir, tmp_path):
    theirs = st_inference_free(tiny_mlm_dir)
    theirs.save(str(tmp_path))
    ours = SparseEncoder(str(tmp_path), device="cpu")
    assert_same(ours, theirs)


def test_csr_saved_there_loads_here(tiny_bert_dir, tmp_path):
    from sentence_transformers.base.modules import Transformer
    from sentence_transformers.sentence_transformer.modules import Pooling
    from sentence_transformers.sparse_encoder.modules import SparseAutoEncoder

    transformer = Transformer(tiny_bert_dir)
    theirs = st.SparseEncoder(
        modules=[transformer, Pooling(32, "mean"), SparseAutoEncoder(32, hidden_dim=128, k=16, k_aux=32)], device="cpu"
    )
    theirs.save(str(tmp_path))
    ours = SparseEncoder(str(tmp_path), device="cpu")
    assert ours.max_active_dims == 16
    assert_same(ours, theirs)


def test_dense_sentence_transformer_folder_becomes_csr(tmp_path, tiny_bert_dir):
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules import Transformer
    from sentence_transformers.sentence_transformer.modules import Pooling

    dense = SentenceTransformer(modules=[Transformer(tiny_bert_dir), Pooling(32, "mean")], device="cpu")
    dense.save(str(tmp_path))
    ours = SparseEncoder(str(tmp_path), device="cpu")
    sae = ours[-1]
    assert type(sae).__name__ == "SparseAutoEncoder"
    assert (sae.input_dim, sae.hidden_dim, sae.k, sae.k_aux) == (32, 128, 8, 16)
    assert ours.max_active_dims == 8


def test_embedded_minilm_folder_becomes_csr():
    ours = SparseEncoder("minilm", device="cpu")
    sae = ours[-1]
    assert (sae.input_dim, sae.hidden_dim, sae.k, sae.k_aux) == (384, 1536, 96, 192)
    assert ours.encode("hello world").shape == (1536,)
