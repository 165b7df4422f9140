"""SpladeRegularizerWeightSchedulerCallback: warm the SPLADE regularizer weights up from 0."""

from __future__ import annotations

import logging
from enum import Enum
from typing import Any

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from ..errors import InputError
from .losses.splade import SpladeLoss

logger = logging.getLogger(__name__)


class SchedulerType(str, Enum):
    """Shape of the warm-up: ``λ·r`` (linear) or ``λ·r²`` (quadratic), ``r = step / warmup_steps``."""

    LINEAR = "linear"
    QUADRATIC = "quadratic"


class SpladeRegularizerWeightSchedulerCallback(TrainerCallback):
    """Raise a SpladeLoss's regularizer weights from 0 to their set values over the first
    ``warmup_ratio`` of the training steps (quadratic by default, as in the SPLADE papers), and log the
    current weights (``current_weights``). The trainer adds one for every SpladeLoss it trains with.

    ``log_prefix`` tells the weights of several SpladeLosses apart in the logs (e.g. ``"nq_"``).
    """

    def __init__(
        self,
        loss: SpladeLoss,
        scheduler_type: str | SchedulerType = SchedulerType.QUADRATIC,
        warmup_ratio: float = 1 / 3,
        log_prefix: str = "",
    ) -> None:
        super().__init__()
        if not isinstance(loss, SpladeLoss):
            raise InputError(f"SpladeRegularizerWeightSchedulerCallback needs a SpladeLoss, got {type(loss).__name__}")
        try:
            self.scheduler_type = SchedulerType(
                scheduler_type.lower() if isinstance(scheduler_type, str) else scheduler_type
            )
        except ValueError:
            logger.warning("unknown scheduler_type %r; using quadratic", scheduler_type)
            self.scheduler_type = SchedulerType.QUADRATIC
        if not 0 < warmup_ratio <= 1:
            logger.warning("warmup_ratio must be in (0, 1], got %s; using 1/3", warmup_ratio)
            warmup_ratio = 1 / 3
        self.loss = loss
        self.warmup_ratio = warmup_ratio
        self.log_prefix = log_prefix
        self.max_document_regularizer_weight = loss.document_regularizer_weight
        self.max_query_regularizer_weight = loss.query_regularizer_weight
        self.warmup_steps: int | None = None

    def weight_at(self, step: int, max_weight: float | None) -> float | None:
        """The weight at optimizer step ``step`` (None stays None)."""
        if max_weight is None or self.warmup_steps is None or step >= self.warmup_steps:
            return max_weight
        ratio = step / self.warmup_steps
        return max_weight * (ratio if self.scheduler_type is SchedulerType.LINEAR else ratio**2)

    def apply(self, step: int) -> None:
        """Set the loss weights for ``step``."""
        self.loss.document_regularizer_weight = self.weight_at(step, self.max_document_regularizer_weight)
        self.loss.query_regularizer_weight = self.weight_at(step, self.max_query_regularizer_weight)

    def on_train_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        total = state.max_steps if state.max_steps and state.max_steps > 0 else 0
        if total <= 0:
            logger.warning("the number of training steps is unknown; SPLADE regularizer weights are not warmed up")
            return
        self.warmup_steps = max(1, int(total * self.warmup_ratio))
        self.apply(state.global_step)

    def on_step_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        self.apply(state.global_step)

    def current_weights(self) -> dict[str, float]:
        """The weights in use, keyed as they are logged (the trainer adds them to every training log)."""
        weights = {f"{self.log_prefix}document_regularizer_weight": self.loss.document_regularizer_weight}
        if self.loss.query_regularizer_weight is not None:
            weights[f"{self.log_prefix}query_regularizer_weight"] = self.loss.query_regularizer_weight
        return weights
