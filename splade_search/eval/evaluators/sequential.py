"""SequentialEvaluator: run several evaluators on the same model and merge their metrics."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ...errors import InputError


def last_score(scores: list[float]) -> float:
    """The default main score: the last evaluator's primary metric."""
    return scores[-1]


class SequentialEvaluator:
    """Call each evaluator in turn; the result is the union of their metrics plus ``sequential_score``.

    ``sequential_score`` (the primary metric) is ``main_score_function`` applied to the evaluators'
    primary scores, in order: an evaluator's ``primary_metric``, else its first key; an evaluator
    returning a bare number contributes it as ``evaluator_<i>``.
    """

    greater_is_better = True

    def __init__(
        self, evaluators: Iterable[Callable[..., Any]], main_score_function: Callable[[list[float]], float] = last_score
    ) -> None:
        self.evaluators = list(evaluators)
        if not self.evaluators:
            raise InputError("SequentialEvaluator needs at least one evaluator")
        self.main_score_function = main_score_function
        self.primary_metric = "sequential_score"
        self.name = ""

    def __call__(self, model: Any, output_path: str | None = None, epoch: float = -1, steps: int = -1) -> dict[str, float]:
        """Evaluate ``model`` with every evaluator (each writes its own files under ``output_path``)."""
        merged: dict[str, float] = {}
        scores: list[float] = []
        for number, evaluator in enumerate(self.evaluators):
            result = evaluator(model, output_path, epoch, steps)
            if not isinstance(result, dict):
                result = {f"evaluator_{number}": float(result)}
            primary = getattr(evaluator, "primary_metric", None)
            scores.append(result[primary] if primary in result else next(iter(result.values()), 0.0))
            merged.update(result)
        merged["sequential_score"] = float(self.main_score_function(scores))
        return merged
