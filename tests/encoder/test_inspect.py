"""decode, sparsity, intersection and the similarity functions."""

from __future__ import annotations

import pytest
import torch

from splade_search import SparseEncoder
from splade_search.similarity import (
    cos_sim,
    dot_score,
    euclidean_sim,
    manhattan_sim,
    pairwise_cos_sim,
    pairwise_dot_score,
    pairwise_euclidean_sim,
    pairwise_manhattan_sim,
)


def test_decode_sorted_tokens_and_top_k(splade_model):
    emb = splade_model.encode("diabetes causes cancer", convert_to_sparse_tensor=False)
    decoded = splade_model.decode(emb)
    weights = [w for _, w in decoded]
    assert weights == sorted(weights, reverse=True)
    assert len(decoded) == int((emb != 0).sum())
    assert all(isinstance(t, str) for t, _ in decoded)
    assert splade_model.decode(emb, top_k=3) == decoded[:3]
    assert splade_model.decode(emb.to_sparse(), top_k=3) == decoded[:3]


def test_decode_batch_and_empty_rows(splade_model):
    batch = splade_model.encode(["diabetes", "cat"])
    decoded = splade_model.decode(batch, top_k=2)
    assert len(decoded) == 2 and all(len(row) <= 2 for row in decoded)
    assert splade_model.decode(torch.zeros(2, batch.shape[1])) == [[], []]


@pytest.mark.parametrize("top_k", [0, -1, 1.5])
def test_decode_rejects_bad_top_k(splade_model, top_k):
    with pytest.raises(ValueError, match="top_k"):
        splade_model.decode(torch.zeros(5), top_k=top_k)


def test_decode_rejects_wrong_rank(splade_model):
    with pytest.raises(ValueError, match="1-D or 2-D"):
        splade_model.decode(torch.zeros(1, 2, 3))


def test_sparsity_sparse_equals_dense_and_1d():
    dense = torch.tensor([[0.0, 1.0, 2.0, 0.0], [0.0, 0.0, 0.0, 3.0]])
    expected = {"active_dims": 1.5, "sparsity_ratio": 1 - 1.5 / 4}
    assert SparseEncoder.sparsity(dense) == expected
    assert SparseEncoder.sparsity(dense.to_sparse()) == expected
    assert SparseEncoder.sparsity(dense[0]) == {"active_dims": 2.0, "sparsity_ratio": 0.5}
    assert SparseEncoder.sparsity(torch.tensor([])) == {"active_dims": 0.0, "sparsity_ratio": 1.0}


def test_intersection_keeps_shared_positive_dims(splade_model):
    q = splade_model.encode("diabetes causes", convert_to_sparse_tensor=False)
    docs = splade_model.encode(["diabetes", "cat dog"], convert_to_sparse_tensor=False)
    inter = SparseEncoder.intersection(q, docs)
    assert inter.is_sparse and inter.shape == docs.shape
    dense = inter.to_dense()
    assert torch.equal(dense, (q * docs).clamp(min=0))
    assert (dense != 0).sum(dim=1).le((docs != 0).sum(dim=1)).all()
    assert splade_model.decode(dense[0])


def test_intersection_dimension_mismatch():
    with pytest.raises(ValueError, match="mismatch"):
        SparseEncoder.intersection(torch.ones(3), torch.ones(4))


@pytest.mark.parametrize(
    "matrix_fn,pair_fn,reference",
    [
        (dot_score, pairwise_dot_score, lambda a, b: a @ b.T),
        (cos_sim, pairwise_cos_sim, lambda a, b: torch.nn.functional.normalize(a, dim=1) @ torch.nn.functional.normalize(b, dim=1).T),
        (euclidean_sim, pairwise_euclidean_sim, lambda a, b: -torch.cdist(a, b)),
        (manhattan_sim, pairwise_manhattan_sim, lambda a, b: -torch.cdist(a, b, p=1)),
    ],
)
def test_similarity_sparse_equals_dense(matrix_fn, pair_fn, reference):
    torch.manual_seed(0)
    a = torch.relu(torch.randn(3, 20)) * (torch.rand(3, 20) > 0.6)
    b = torch.relu(torch.randn(3, 20)) * (torch.rand(3, 20) > 0.6)
    expected = reference(a, b)
    for x, y in [(a, b), (a.to_sparse(), b.to_sparse()), (a.to_sparse(), b), (a, b.to_sparse())]:
        torch.testing.assert_close(matrix_fn(x, y), expected, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(pair_fn(x, y), torch.diagonal(expected), atol=1e-5, rtol=1e-5)


def test_model_similarity_default_dot_and_setter(splade_model):
    q = splade_model.encode(["diabetes"])
    d = splade_model.encode(["diabetes", "cat"])
    assert splade_model.similarity_fn_name == "dot"
    torch.testing.assert_close(splade_model.similarity(q, d), q.to_dense() @ d.to_dense().T)
    splade_model.similarity_fn_name = "cosine"
    torch.testing.assert_close(splade_model.similarity(q, d), cos_sim(q.to_dense(), d.to_dense()))
    torch.testing.assert_close(splade_model.similarity_pairwise(d, d), torch.ones(2), atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match="must be one of"):
        splade_model.similarity_fn_name = "maxsim"


def test_truncate_dim_not_supported(splade_model):
    with pytest.raises(NotImplementedError, match="max_active_dims"):
        splade_model.truncate_dim


def test_max_seq_length_and_chunk_size_proxies(splade_model):
    splade_model.max_seq_length = 8
    assert splade_model[0].max_seq_length == 8
    long = " ".join(["diabetes"] * 50)
    assert splade_model.tokenize([long])["input_ids"].shape[1] == 8
    splade_model.splade_pooling_chunk_size = 3
    assert splade_model[1].chunk_size == 3


def test_euclidean_gradient_is_finite_for_identical_vectors():
    a = torch.tensor([[1.0, 2.0, 0.0]], requires_grad=True)
    pairwise_euclidean_sim(a, a.detach().clone()).sum().backward()
    assert torch.isfinite(a.grad).all()
    b = torch.tensor([[1.0, 2.0, 0.0]], requires_grad=True)
    euclidean_sim(b, b.detach().clone()).sum().backward()
    assert torch.isfinite(b.grad).all()
