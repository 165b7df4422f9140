"""SparseBinaryClassificationEvaluator: are two texts a positive pair? Thresholds on a similarity or distance.

Euclidean and Manhattan are thresholded as *distances* (smaller = more similar, thresholds reported
as distances), the sentence-transformers v6 fix of the inverted direction (#3886); cosine and dot
as similarities. Keys per function ``fn``: ``{fn}_accuracy, {fn}_accuracy_threshold, {fn}_f1,
{fn}_f1_threshold, {fn}_precision, {fn}_recall, {fn}_ap, {fn}_mcc``, with ``max_*`` over several
functions, then ``active_dims`` and ``sparsity_ratio``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from ...errors import InputError
from ...similarity import SimilarityFunction, similarity_functions
from .base import SparseEvaluator, check_same_length
from .classification import ThresholdScores, classify

METRICS = ("accuracy", "accuracy_threshold", "f1", "precision", "recall", "f1_threshold", "ap", "mcc")
DISTANCES = ("euclidean", "manhattan")


class SparseBinaryClassificationEvaluator(SparseEvaluator):
    """Score each ``(sentences1[i], sentences2[i])`` pair and find the thresholds that best separate 0/1 ``labels``."""

    def __init__(
        self,
        sentences1: Sequence[str],
        sentences2: Sequence[str],
        labels: Sequence[int],
        name: str = "",
        batch_size: int = 32,
        show_progress_bar: bool = False,
        write_csv: bool = True,
        max_active_dims: int | None = None,
        similarity_fn_names: Sequence[str] | None = None,
    ) -> None:
        super().__init__(
            name, write_csv=write_csv, batch_size=batch_size, show_progress_bar=show_progress_bar, max_active_dims=max_active_dims
        )
        check_same_length(sentences1=sentences1, sentences2=sentences2, labels=labels)
        if any(label not in (0, 1) for label in labels):
            raise InputError("labels must be 0 or 1")
        self.sentences1, self.sentences2, self.labels = list(sentences1), list(sentences2), list(labels)
        self.similarity_fn_names = [SimilarityFunction.parse(fn).value for fn in similarity_fn_names or []]
        self.csv_file = f"binary_classification_evaluation{'_' + name if name else ''}_results.csv"
        self._fn_names: list[str] = list(self.similarity_fn_names)

    def compute_metrics(self, model: Any) -> dict[str, float]:
        """Encode every distinct sentence once, then threshold each similarity function."""
        self._fn_names = self.similarity_fn_names or [model.similarity_fn_name]
        unique = list(dict.fromkeys([*self.sentences1, *self.sentences2]))
        embeddings = self.encode(model, unique, None, "all").coalesce()
        position = {sentence: i for i, sentence in enumerate(unique)}
        first = embeddings.index_select(0, torch.tensor([position[s] for s in self.sentences1]))
        second = embeddings.index_select(0, torch.tensor([position[s] for s in self.sentences2]))
        labels = np.asarray(self.labels)
        per_fn = {fn: self._scores(fn, first, second, labels) for fn in self._fn_names}
        metrics = {f"{fn}_{metric}": value for fn, scores in per_fn.items() for metric, value in scores.to_dict().items()}
        if len(self._fn_names) > 1:
            metrics.update({f"max_{metric}": max(metrics[f"{fn}_{metric}"] for fn in self._fn_names) for metric in METRICS})
            self.primary_metric = "max_ap"
        else:
            self.primary_metric = f"{self._fn_names[0]}_ap"
        metrics.update(self.sparsity.stats("all", prefix=False))
        return metrics

    def csv_columns(self) -> list[tuple[str, str]]:
        """``{fn}_{metric}`` per function, then ``active_dims, sparsity_ratio``."""
        columns = [f"{fn}_{metric}" for fn in self._fn_names for metric in METRICS]
        return [(key, key) for key in [*columns, "active_dims", "sparsity_ratio"]]

    @staticmethod
    def _scores(fn: str, first: torch.Tensor, second: torch.Tensor, labels: np.ndarray) -> ThresholdScores:
        similarities = similarity_functions(fn)[1](first, second).float().numpy()
        if fn in DISTANCES:
            return classify(-similarities, labels, greater_is_better=False)
        return classify(similarities, labels, greater_is_better=True)
