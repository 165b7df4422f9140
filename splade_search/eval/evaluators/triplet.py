"""SparseTripletEvaluator: is the anchor closer to its positive than to its negative?

Accuracy is the share of triplets with ``sim(anchor, positive) > sim(anchor, negative) + margin``,
where Euclidean and Manhattan similarities are *negative* distances, so closer is always higher
(the v6 fix of the sign inversion, #3704). Anchors are encoded as queries, positives and negatives
as documents. Keys: ``{fn}_accuracy`` (plus ``max_accuracy`` with several functions) and
``anchor_/positive_/negative_`` ``active_dims`` and ``sparsity_ratio``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...similarity import SimilarityFunction, similarity_functions
from .base import SparseEvaluator, check_same_length

SIDES = ("anchor", "positive", "negative")


class SparseTripletEvaluator(SparseEvaluator):
    """Triplet accuracy per similarity function; ``margin`` is one number or a dict by function name."""

    def __init__(
        self,
        anchors: Sequence[str],
        positives: Sequence[str],
        negatives: Sequence[str],
        main_similarity_function: str | None = None,
        margin: float | Mapping[str, float] | None = None,
        name: str = "",
        batch_size: int = 16,
        show_progress_bar: bool = False,
        write_csv: bool = True,
        max_active_dims: int | None = None,
        similarity_fn_names: Sequence[str] | None = None,
    ) -> None:
        super().__init__(
            name, write_csv=write_csv, batch_size=batch_size, show_progress_bar=show_progress_bar, max_active_dims=max_active_dims
        )
        check_same_length(anchors=anchors, positives=positives, negatives=negatives)
        self.anchors, self.positives, self.negatives = list(anchors), list(positives), list(negatives)
        self.main_similarity_function = SimilarityFunction.parse(main_similarity_function).value if main_similarity_function else None
        self.margin = margin
        self.similarity_fn_names = [SimilarityFunction.parse(fn).value for fn in similarity_fn_names or []]
        self.csv_file = f"triplet_evaluation{'_' + name if name else ''}_results.csv"
        self._fn_names: list[str] = list(self.similarity_fn_names)

    def margin_for(self, fn: str) -> float:
        """The margin applied with similarity function ``fn`` (0 unless given)."""
        if self.margin is None:
            return 0.0
        if isinstance(self.margin, Mapping):
            return float(self.margin.get(fn, 0.0))
        return float(self.margin)

    def compute_metrics(self, model: Any) -> dict[str, float]:
        """Encode the three sides and count the triplets ranked right by each function."""
        self._fn_names = self.similarity_fn_names or [model.similarity_fn_name]
        anchors = self.encode(model, self.anchors, "query", "anchor")
        positives = self.encode(model, self.positives, "document", "positive")
        negatives = self.encode(model, self.negatives, "document", "negative")
        metrics: dict[str, float] = {}
        for fn in self._fn_names:
            pairwise = similarity_functions(fn)[1]
            right = pairwise(anchors, positives) > pairwise(anchors, negatives) + self.margin_for(fn)
            metrics[f"{fn}_accuracy"] = float(right.float().mean())
        if len(self._fn_names) > 1:
            metrics["max_accuracy"] = max(metrics[f"{fn}_accuracy"] for fn in self._fn_names)
        if self.main_similarity_function:
            self.primary_metric = f"{self.main_similarity_function}_accuracy"
        else:
            self.primary_metric = "max_accuracy" if len(self._fn_names) > 1 else f"{self._fn_names[0]}_accuracy"
        for side in SIDES:
            metrics.update(self.sparsity.stats(side))
        return metrics

    def csv_columns(self) -> list[tuple[str, str]]:
        """``accuracy_{fn}`` per function, then the three sides' ``active_dims, sparsity_ratio``."""
        columns = [(f"accuracy_{fn}", f"{fn}_accuracy") for fn in self._fn_names]
        stats = [f"{side}_{key}" for side in SIDES for key in ("active_dims", "sparsity_ratio")]
        return columns + [(key, key) for key in stats]
