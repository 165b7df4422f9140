"""Trainer smoke tests per architecture: parameters change, components are logged, checkpoints
are full model folders that reload, encode and resume."""

from __future__ import annotations

import pytest
import torch
from datasets import Dataset

from splade_search import SparseEncoder
from splade_search.training import (
    CSRLoss,
    SparseEncoderTrainer,
    SparseMultipleNegativesRankingLoss,
    SpladeLoss,
    SpladeRegularizerWeightSchedulerCallback,
)

SPLADE_KEYS = {
    "loss",
    "base_loss",
    "document_regularizer_loss",
    "query_regularizer_loss",
    "document_regularizer_weight",
    "query_regularizer_weight",
}
CSR_KEYS = {"loss", "base_loss", "reconstruction_loss_k", "reconstruction_loss_4k", "reconstruction_loss_aux"}


def snapshot(model):
    return {name: p.detach().clone() for name, p in model.named_parameters() if p.requires_grad}


def changed(model, before):
    return {
        name for name, p in model.named_parameters() if name in before and not torch.equal(before[name], p.detach())
    }


def train_logs(trainer):
    return [entry for entry in trainer.state.log_history if "loss" in entry]


def test_splade_training_logs_components_and_saves_a_loadable_model(splade_model, pairs, tmp_path, fast_args):
    before = snapshot(splade_model)
    trainer = SparseEncoderTrainer(
        splade_model, fast_args(tmp_path, save_strategy="steps", save_steps=2), train_dataset=pairs
    )
    trainer.train()
    assert changed(splade_model, before)
    logs = train_logs(trainer)
    assert len(logs) == 2 and SPLADE_KEYS <= set(logs[-1])
    assert logs[0]["document_regularizer_weight"] == 0.0 and logs[-1]["document_regularizer_weight"] == pytest.approx(
        3e-5
    )
    reloaded = SparseEncoder(str(tmp_path / "checkpoint-2"), device="cpu")
    torch.testing.assert_close(
        reloaded.encode(["what causes diabetes"]).to_dense(), splade_model.encode(["what causes diabetes"]).to_dense()
    )
    assert (tmp_path / "checkpoint-2" / "optimizer.pt").exists() and (tmp_path / "checkpoint-2" / "README.md").exists()


def test_inference_free_training_uses_routes_and_static_learning_rate(inference_free_model, pairs, tmp_path, fast_args):
    args = fast_args(
        tmp_path,
        router_mapping={"query": "query", "positive": "document"},
        learning_rate_mapping={r"SparseStaticEmbedding\.weight": 5e-2},
        learning_rate=1e-4,
    )
    loss = SpladeLoss(
        inference_free_model,
        SparseMultipleNegativesRankingLoss(inference_free_model),
        document_regularizer_weight=3e-4,
        query_regularizer_weight=0,
    )
    before = snapshot(inference_free_model)
    trainer = SparseEncoderTrainer(inference_free_model, args, train_dataset=pairs, loss=loss)
    trainer.train()
    moved = changed(inference_free_model, before)
    assert "0.sub_modules.query.0.weight" in moved and any("sub_modules.document" in n for n in moved)
    assert {g["lr"] for g in trainer.optimizer.param_groups if g.get("initial_lr") == 5e-2}
    assert SPLADE_KEYS <= set(train_logs(trainer)[-1])
    trainer.save_model(str(tmp_path / "final"))
    reloaded = SparseEncoder(str(tmp_path / "final"), device="cpu")
    assert reloaded.encode_query(["what causes diabetes"]).shape == reloaded.encode_document(["diabetes"]).shape


def test_csr_training_with_frozen_backbone(csr_model, pairs, tmp_path, fast_args):
    csr_model[0].requires_grad_(False)
    before = snapshot(csr_model)
    trainer = SparseEncoderTrainer(csr_model, fast_args(tmp_path), train_dataset=pairs)  # default loss: CSRLoss
    assert isinstance(trainer.loss, CSRLoss)
    trainer.train()
    moved = changed(csr_model, before)
    assert moved and all(name.startswith("2.") for name in moved)
    assert CSR_KEYS <= set(train_logs(trainer)[-1])
    trainer.save_model(str(tmp_path / "final"))
    reloaded = SparseEncoder(str(tmp_path / "final"), device="cpu")
    assert reloaded.max_active_dims == 16 and reloaded.encode(["diabetes"]).shape == (1, 128)


def test_csr_loss_with_k_aux_zero(tiny_bert_dir, pairs, tmp_path, fast_args):
    from splade_search import Pooling, SparseAutoEncoder, Transformer

    model = SparseEncoder(
        modules=[Transformer(tiny_bert_dir), Pooling(32, "mean"), SparseAutoEncoder(32, 64, k=8, k_aux=0)], device="cpu"
    )
    trainer = SparseEncoderTrainer(model, fast_args(tmp_path, max_steps=1), train_dataset=pairs, loss=CSRLoss(model))
    trainer.train()
    assert train_logs(trainer)[-1]["reconstruction_loss_aux"] == 0.0


def test_resume_from_checkpoint_reaches_the_same_weights(tiny_mlm_dir, pairs, tmp_path, fast_args):
    args = dict(max_steps=4, save_strategy="steps", save_steps=2)
    full = SparseEncoder(tiny_mlm_dir, device="cpu")
    SparseEncoderTrainer(full, fast_args(tmp_path / "a", **args), train_dataset=pairs).train()
    resumed = SparseEncoder(tiny_mlm_dir, device="cpu")
    trainer = SparseEncoderTrainer(resumed, fast_args(tmp_path / "a", **args), train_dataset=pairs)
    trainer.train(resume_from_checkpoint=str(tmp_path / "a" / "checkpoint-2"))
    assert trainer.state.global_step == 4
    for (name, a), (_, b) in zip(full.named_parameters(), resumed.named_parameters()):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6, msg=name)


def test_evaluator_runs_at_eval_strategy_with_prefixed_metrics(
    splade_model, pairs, tmp_path, fast_args, evaluator_class
):
    evaluator = evaluator_class(0.75)
    args = fast_args(tmp_path, max_steps=4, eval_strategy="steps", eval_steps=2)
    trainer = SparseEncoderTrainer(splade_model, args, train_dataset=pairs, evaluator=[evaluator, evaluator_class(0.5)])
    trainer.train()
    evaluations = [entry for entry in trainer.state.log_history if "eval_fake_ndcg@10" in entry]
    assert [entry["step"] for entry in evaluations] == [2, 4]
    assert evaluations[-1]["eval_sequential_score"] == 0.5 and [s for _, s in evaluator.calls] == [2, 4]
    assert splade_model.model_card_data.eval_results["eval_fake_ndcg@10"] == 0.5


def test_eval_dataset_logs_eval_components(splade_model, pairs, tmp_path, fast_args):
    args = fast_args(tmp_path, eval_strategy="steps", eval_steps=2)
    trainer = SparseEncoderTrainer(splade_model, args, train_dataset=pairs, eval_dataset=pairs.select(range(8)))
    trainer.train()
    evaluated = [entry for entry in trainer.state.log_history if "eval_loss" in entry][-1]
    assert {"eval_base_loss", "eval_document_regularizer_loss", "eval_query_regularizer_loss"} <= set(evaluated)


def test_dict_datasets_and_losses_schedule_every_splade_loss(splade_model, pairs, tmp_path, fast_args):
    other = Dataset.from_dict({"anchor": pairs["positive"], "positive": pairs["query"]})
    losses = {
        name: SpladeLoss(
            splade_model,
            SparseMultipleNegativesRankingLoss(splade_model),
            document_regularizer_weight=w,
            query_regularizer_weight=w,
        )
        for name, w in (("qa", 1e-3), ("reverse", 2e-3))
    }
    args = fast_args(tmp_path, max_steps=4, multi_dataset_batch_sampler="round_robin")
    trainer = SparseEncoderTrainer(splade_model, args, train_dataset={"qa": pairs, "reverse": other}, loss=losses)
    schedulers = [
        cb for cb in trainer.callback_handler.callbacks if isinstance(cb, SpladeRegularizerWeightSchedulerCallback)
    ]
    assert {id(cb.loss) for cb in schedulers} == {id(loss) for loss in losses.values()}
    trainer.train()
    last = train_logs(trainer)[-1]
    assert last["qa_document_regularizer_weight"] == pytest.approx(1e-3) and last[
        "reverse_document_regularizer_weight"
    ] == pytest.approx(2e-3)


def test_default_loss_for_splade_models(splade_model, pairs, tmp_path, fast_args):
    trainer = SparseEncoderTrainer(splade_model, fast_args(tmp_path), train_dataset=pairs)
    assert isinstance(trainer.loss, SpladeLoss)
    assert (trainer.loss.query_regularizer_weight, trainer.loss.document_regularizer_weight) == (5e-5, 3e-5)


class Wrapper(torch.nn.Module):
    """Stands in for DistributedDataParallel: wraps the model and counts forward calls."""

    def __init__(self, module):
        super().__init__()
        self.module, self.calls = module, 0

    def forward(self, features):
        self.calls += 1
        return self.module(features)


def test_losses_call_the_wrapped_model(splade_model, pairs, tmp_path, fast_args):
    losses = {
        name: SpladeLoss(splade_model, SparseMultipleNegativesRankingLoss(splade_model), 1e-3, 1e-3)
        for name in ("a", "b")
    }
    trainer = SparseEncoderTrainer(
        splade_model, fast_args(tmp_path), train_dataset={"a": pairs, "b": pairs}, loss=losses
    )
    batch = trainer.data_collator([{**pairs[i], "dataset_name": "b"} for i in range(4)])
    wrapped = Wrapper(splade_model)
    loss = trainer.compute_loss(wrapped, batch)
    assert loss.ndim == 0 and wrapped.calls == 2
    assert all(loss.model is wrapped and loss.loss.model is wrapped for loss in losses.values())
