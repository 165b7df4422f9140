"""Bad input stops before training with a clear error; a NaN loss stops with the last good checkpoint kept."""

from __future__ import annotations

import pytest
import torch
from datasets import Dataset

from splade_search import SparseEncoder
from splade_search.errors import InputError, TrainingError
from splade_search.training import (
    SparseEncoderTrainer,
    SparseMarginMSELoss,
    SparseMultipleNegativesRankingLoss,
    SparseTripletLoss,
    SpladeLoss,
)


def splade(model, inner):
    return SpladeLoss(model, inner, document_regularizer_weight=3e-5, query_regularizer_weight=5e-5)


def test_wrong_column_count_for_the_loss(splade_model, pairs, tmp_path, fast_args):
    with pytest.raises(InputError, match=r"does not fit SpladeLoss: it expects exactly 3 input columns.*got 2"):
        SparseEncoderTrainer(
            splade_model,
            fast_args(tmp_path),
            train_dataset=pairs,
            loss=splade(splade_model, SparseTripletLoss(splade_model)),
        )


def test_missing_label_column(splade_model, triplets, tmp_path, fast_args):
    with pytest.raises(InputError, match="no 'label' or 'score' column"):
        SparseEncoderTrainer(
            splade_model,
            fast_args(tmp_path),
            train_dataset=triplets,
            loss=splade(splade_model, SparseMarginMSELoss(splade_model)),
        )


def test_empty_dataset(splade_model, tmp_path, fast_args):
    empty = Dataset.from_dict({"query": [], "positive": []})
    with pytest.raises(InputError, match="empty"):
        SparseEncoderTrainer(splade_model, fast_args(tmp_path), train_dataset=empty)


def test_router_model_without_router_mapping(inference_free_model, pairs, tmp_path, fast_args):
    with pytest.raises(InputError, match=r"router_mapping is empty.*'query': 'query', 'positive': 'document'"):
        SparseEncoderTrainer(inference_free_model, fast_args(tmp_path), train_dataset=pairs)


def test_router_mapping_naming_a_missing_column_or_route(inference_free_model, pairs, tmp_path, fast_args):
    with pytest.raises(InputError, match="column 'question'"):
        SparseEncoderTrainer(
            inference_free_model, fast_args(tmp_path, router_mapping={"question": "query"}), train_dataset=pairs
        )
    with pytest.raises(InputError, match="route 'queries'"):
        SparseEncoderTrainer(
            inference_free_model, fast_args(tmp_path, router_mapping={"query": "queries"}), train_dataset=pairs
        )


def test_learning_rate_pattern_matching_nothing_stops_before_training(splade_model, pairs, tmp_path, fast_args):
    before = {n: p.clone() for n, p in splade_model.named_parameters()}
    trainer = SparseEncoderTrainer(
        splade_model, fast_args(tmp_path, learning_rate_mapping={"NoSuchModule": 1e-3}), train_dataset=pairs
    )
    with pytest.raises(InputError, match="'NoSuchModule' matches no parameter"):
        trainer.train()
    assert all(torch.equal(before[n], p) for n, p in splade_model.named_parameters())


def test_loss_dict_must_cover_every_dataset(splade_model, pairs, tmp_path, fast_args):
    with pytest.raises(InputError, match=r"no loss for train dataset\(s\) \['b'\]"):
        SparseEncoderTrainer(
            splade_model,
            fast_args(tmp_path),
            train_dataset={"a": pairs, "b": pairs},
            loss={"a": splade(splade_model, SparseTripletLoss(splade_model))},
        )


def test_eval_strategy_without_anything_to_evaluate(splade_model, pairs, tmp_path, fast_args):
    with pytest.raises(InputError, match="eval_strategy"):
        SparseEncoderTrainer(
            splade_model, fast_args(tmp_path, eval_strategy="steps", eval_steps=1), train_dataset=pairs
        )


def test_reserved_column_name(splade_model, tmp_path, fast_args):
    data = Dataset.from_dict({"query": ["a"], "dataset_name": ["x"]})
    with pytest.raises(InputError, match="reserved"):
        SparseEncoderTrainer(splade_model, fast_args(tmp_path), train_dataset=data)


class NaNAfter(torch.nn.Module):
    """Wraps a loss and makes it NaN from the ``after``-th call on."""

    def __init__(self, loss, after):
        super().__init__()
        self.loss, self.after, self.calls = loss, after, 0
        self.model = loss.model

    def forward(self, features, labels=None):
        self.calls += 1
        parts = self.loss(features, labels)
        if self.calls > self.after:
            parts["base_loss"] = parts["base_loss"] * float("nan")
        return parts


def test_nan_loss_stops_training_and_keeps_the_last_good_checkpoint(splade_model, pairs, tmp_path, fast_args):
    args = fast_args(tmp_path, max_steps=4, save_strategy="steps", save_steps=2)
    loss = NaNAfter(splade(splade_model, SparseMultipleNegativesRankingLoss(splade_model)), after=2)
    trainer = SparseEncoderTrainer(splade_model, args, train_dataset=pairs, loss=loss)
    with pytest.raises(TrainingError, match=r"loss became nan at step 2.*checkpoint-2"):
        trainer.train()
    good = SparseEncoder(str(tmp_path / "checkpoint-2"), device="cpu")
    assert all(torch.isfinite(p).all() for p in good.parameters())
    assert not (tmp_path / "checkpoint-4").exists()


def test_nan_weights_are_never_saved(splade_model, pairs, tmp_path, fast_args):
    trainer = SparseEncoderTrainer(splade_model, fast_args(tmp_path), train_dataset=pairs)
    with torch.no_grad():
        next(splade_model.parameters()).fill_(float("nan"))
    with pytest.raises(TrainingError, match="weights became NaN"):
        trainer.save_model(str(tmp_path / "out"))
    assert not (tmp_path / "out" / "model.safetensors").exists()
