"""CachedSpladeLoss gives SpladeLoss's loss and gradients while embedding in mini-batches."""

from __future__ import annotations

import pytest
import torch

from splade_search.training.losses import CachedSpladeLoss, SparseMultipleNegativesRankingLoss, SpladeLoss
from splade_search.training.losses.cached_splade import ForwardState

QUERIES = [
    "what causes diabetes",
    "insulin and blood sugar",
    "heart disease risk",
    "lung cancer study",
    "dog",
    "the cat",
    "rain and sun",
    "music",
]
DOCS = [
    "diabetes is caused by sugar",
    "insulin level in blood",
    "risk of heart disease is high",
    "cancer of the lung",
    "a dog in the house",
    "a cat and a dog",
    "the weather is rain",
    "film and music",
]
NEGATIVES = list(reversed(DOCS))


def features(model):
    return [model.tokenize(texts) for texts in (QUERIES, DOCS, NEGATIVES)]


def loss_and_grads(model, loss, columns):
    model.zero_grad()
    parts = loss([dict(c) for c in columns], None)
    torch.stack(list(parts.values())).sum().backward()
    grads = {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}
    return {key: value.item() for key, value in parts.items()}, grads


def make(cls, model, **kwargs):
    return cls(
        model,
        SparseMultipleNegativesRankingLoss(model),
        document_regularizer_weight=3e-3,
        query_regularizer_weight=5e-3,
        **kwargs,
    )


def assert_same(plain, cached):
    (plain_parts, plain_grads), (cached_parts, cached_grads) = plain, cached
    assert plain_parts.keys() == cached_parts.keys()
    for key in plain_parts:
        assert cached_parts[key] == pytest.approx(plain_parts[key], rel=1e-4, abs=1e-7)
    assert plain_grads.keys() == cached_grads.keys() and plain_grads
    for name in plain_grads:
        torch.testing.assert_close(cached_grads[name], plain_grads[name], rtol=1e-3, atol=1e-6)


def test_equal_to_splade_loss_with_mini_batches(splade_model):
    splade_model.eval()  # no dropout: the mini-batch split is the only difference
    columns = features(splade_model)
    plain = loss_and_grads(splade_model, make(SpladeLoss, splade_model), columns)
    cached = loss_and_grads(splade_model, make(CachedSpladeLoss, splade_model, mini_batch_size=3), columns)
    assert_same(plain, cached)


def test_equal_to_splade_loss_on_inference_free_model(inference_free_model):
    inference_free_model.eval()
    tokenize = inference_free_model.tokenize
    columns = [tokenize(QUERIES, task="query"), tokenize(DOCS, task="document"), tokenize(NEGATIVES, task="document")]
    plain = loss_and_grads(inference_free_model, make(SpladeLoss, inference_free_model), columns)
    cached = loss_and_grads(
        inference_free_model, make(CachedSpladeLoss, inference_free_model, mini_batch_size=5), columns
    )
    assert_same(plain, cached)
    assert any("sub_modules.query" in name for name in cached[1])


def test_dropout_is_replayed_in_the_second_pass(splade_model):
    splade_model.train()  # dropout on: equal gradients need the same masks in both passes
    columns = features(splade_model)
    torch.manual_seed(1)
    plain = loss_and_grads(splade_model, make(SpladeLoss, splade_model), columns)
    torch.manual_seed(1)
    cached = loss_and_grads(splade_model, make(CachedSpladeLoss, splade_model, mini_batch_size=len(QUERIES)), columns)
    assert_same(plain, cached)


def test_forward_state_replays_dropout():
    dropout = torch.nn.Dropout(0.5)
    x = torch.ones(64)
    state = ForwardState([x])
    first = dropout(x)
    with state.replay():
        again = dropout(x)
    torch.testing.assert_close(first, again)


def test_no_grad_evaluation_returns_plain_components(splade_model):
    loss = make(CachedSpladeLoss, splade_model, mini_batch_size=3)
    with torch.no_grad():
        parts = loss([dict(c) for c in features(splade_model)], None)
    assert set(parts) == {"base_loss", "document_regularizer_loss", "query_regularizer_loss"}
    assert not any(v.requires_grad for v in parts.values())


def test_rejects_bad_mini_batch_size(splade_model):
    with pytest.raises(ValueError, match="mini_batch_size"):
        make(CachedSpladeLoss, splade_model, mini_batch_size=0)
