"""SparseEmbeddingSimilarityEvaluator: correlation of pair similarities with gold scores (e.g. STS).

Keys: ``pearson_{fn}``, ``spearman_{fn}`` per similarity function (plus ``pearson_max`` and
``spearman_max`` with several), ``active_dims`` and ``sparsity_ratio`` (mean of the two encode calls).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ...similarity import SimilarityFunction, similarity_functions
from .base import SparseEvaluator, check_same_length


class SparseEmbeddingSimilarityEvaluator(SparseEvaluator):
    """Pearson and Spearman correlation between ``scores`` and the model's similarity of each sentence pair."""

    def __init__(
        self,
        sentences1: Sequence[str],
        sentences2: Sequence[str],
        scores: Sequence[float],
        batch_size: int = 16,
        main_similarity: str | None = None,
        similarity_fn_names: Sequence[str] | None = None,
        name: str = "",
        show_progress_bar: bool = False,
        write_csv: bool = True,
        max_active_dims: int | None = None,
    ) -> None:
        super().__init__(
            name, write_csv=write_csv, batch_size=batch_size, show_progress_bar=show_progress_bar, max_active_dims=max_active_dims
        )
        check_same_length(sentences1=sentences1, sentences2=sentences2, scores=scores)
        self.sentences1, self.sentences2 = list(sentences1), list(sentences2)
        self.scores = [float(score) for score in scores]
        self.main_similarity = SimilarityFunction.parse(main_similarity).value if main_similarity else None
        self.similarity_fn_names = [SimilarityFunction.parse(fn).value for fn in similarity_fn_names or []]
        self.csv_file = f"similarity_evaluation{'_' + name if name else ''}_results.csv"
        self._fn_names: list[str] = list(self.similarity_fn_names)

    def compute_metrics(self, model: Any) -> dict[str, float]:
        """Encode both sides, then correlate each function's pair similarities with the gold scores."""
        from scipy.stats import pearsonr, spearmanr

        self._fn_names = self.similarity_fn_names or [model.similarity_fn_name]
        first = self.encode(model, self.sentences1, None, "all")
        second = self.encode(model, self.sentences2, None, "all")
        gold = np.asarray(self.scores)
        metrics: dict[str, float] = {}
        for fn in self._fn_names:
            predicted = similarity_functions(fn)[1](first, second).float().numpy()
            metrics[f"pearson_{fn}"] = float(pearsonr(gold, predicted)[0])
            metrics[f"spearman_{fn}"] = float(spearmanr(gold, predicted)[0])
        if len(self._fn_names) > 1:
            metrics["pearson_max"] = max(metrics[f"pearson_{fn}"] for fn in self._fn_names)
            metrics["spearman_max"] = max(metrics[f"spearman_{fn}"] for fn in self._fn_names)
        if self.main_similarity:
            self.primary_metric = f"spearman_{self.main_similarity}"
        else:
            self.primary_metric = "spearman_max" if len(self._fn_names) > 1 else f"spearman_{self._fn_names[0]}"
        metrics.update(self.sparsity.stats("all", prefix=False))
        return metrics

    def csv_columns(self) -> list[tuple[str, str]]:
        """``{fn}_pearson, {fn}_spearman`` per function, then ``active_dims, sparsity_ratio``."""
        columns = [(f"{fn}_{m}", f"{m}_{fn}") for fn in self._fn_names for m in ("pearson", "spearman")]
        return columns + [("active_dims", "active_dims"), ("sparsity_ratio", "sparsity_ratio")]
