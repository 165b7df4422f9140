"""The regularizer warm-up: weights over steps, linear vs quadratic, None stays None."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from splade_search.training import SchedulerType, SpladeRegularizerWeightSchedulerCallback
from splade_search.training.losses import SparseMultipleNegativesRankingLoss, SpladeLoss


def make_loss(query_weight=0.2):
    model = torch.nn.Module()
    return SpladeLoss(
        model,
        SparseMultipleNegativesRankingLoss(model),
        document_regularizer_weight=0.1,
        query_regularizer_weight=query_weight,
    )


def run(callback, max_steps, step):
    state = SimpleNamespace(max_steps=max_steps, global_step=0)
    callback.on_train_begin(None, state, None)
    state.global_step = step
    callback.on_step_begin(None, state, None)


@pytest.mark.parametrize(
    ("kind", "step", "factor"),
    [
        ("quadratic", 0, 0.0),
        ("quadratic", 5, 0.25),
        ("quadratic", 10, 1.0),
        ("quadratic", 29, 1.0),
        ("linear", 5, 0.5),
        ("linear", 2, 0.2),
        (SchedulerType.LINEAR, 10, 1.0),
    ],
)
def test_weights_over_steps(kind, step, factor):
    loss = make_loss()
    callback = SpladeRegularizerWeightSchedulerCallback(loss, scheduler_type=kind)  # warm-up 1/3 of 30 = 10 steps
    run(callback, 30, step)
    assert loss.document_regularizer_weight == pytest.approx(0.1 * factor)
    assert loss.query_regularizer_weight == pytest.approx(0.2 * factor)
    assert callback.current_weights() == {
        "document_regularizer_weight": loss.document_regularizer_weight,
        "query_regularizer_weight": loss.query_regularizer_weight,
    }


def test_train_begin_starts_at_zero_and_none_stays_none():
    loss = make_loss(query_weight=None)
    callback = SpladeRegularizerWeightSchedulerCallback(loss, warmup_ratio=0.5)
    run(callback, 8, 0)
    assert loss.document_regularizer_weight == 0.0 and loss.query_regularizer_weight is None
    assert callback.warmup_steps == 4
    assert "query_regularizer_weight" not in callback.current_weights()


def test_bad_settings_fall_back_and_wrong_loss_is_rejected():
    callback = SpladeRegularizerWeightSchedulerCallback(make_loss(), scheduler_type="cubic", warmup_ratio=2.0)
    assert callback.scheduler_type is SchedulerType.QUADRATIC and callback.warmup_ratio == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="SpladeLoss"):
        SpladeRegularizerWeightSchedulerCallback(torch.nn.MSELoss())


def test_short_runs_warm_up_over_at_least_one_step():
    loss = make_loss()
    callback = SpladeRegularizerWeightSchedulerCallback(loss)
    run(callback, 2, 1)
    assert callback.warmup_steps == 1 and loss.document_regularizer_weight == pytest.approx(0.1)
