"""Running evaluators during training.

An evaluator is any callable ``evaluator(model, output_path=None, epoch=-1, steps=-1) -> dict[str, float]``
with an optional ``primary_metric`` attribute (the ``splade_search.eval`` evaluators follow it); a list of
them runs as a ``splade_search.eval.SequentialEvaluator``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from ..errors import TrainingError


def as_metrics(result: Any) -> dict[str, float]:
    """An evaluator's result as a metrics dict (a bare number becomes ``{"evaluator": value}``)."""
    if isinstance(result, dict):
        return dict(result)
    if isinstance(result, (int, float)):
        return {"evaluator": float(result)}
    raise TrainingError(f"an evaluator must return a dict of metrics or a number, got {type(result).__name__}")


def run_evaluator(trainer: Any, evaluator: Callable[..., Any]) -> dict[str, float]:
    """Run ``evaluator`` on the main process (writing under ``output_dir/eval``) and share its metrics."""
    metrics: dict[str, float] = {}
    if trainer.is_world_process_zero():
        output_path = os.path.join(trainer.args.output_dir, "eval")
        os.makedirs(output_path, exist_ok=True)
        epoch = trainer.state.epoch if trainer.state.epoch is not None else -1
        metrics = as_metrics(
            evaluator(trainer.model, output_path=output_path, epoch=epoch, steps=trainer.state.global_step)
        )
    if trainer.accelerator.num_processes > 1:
        from accelerate.utils import broadcast_object_list

        metrics = broadcast_object_list([metrics])[0]
    return metrics
