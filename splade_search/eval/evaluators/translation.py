"""SparseTranslationEvaluator: does each source sentence find its own translation among all targets?

``src2trg_accuracy`` is the share of sources whose most cosine-similar target is their translation
(or an identical text), ``trg2src_accuracy`` the reverse, ``mean_accuracy`` their mean; plus
``active_dims`` and ``sparsity_ratio`` (mean of the two encode calls).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from ...similarity import cos_sim
from .base import SparseEvaluator, check_same_length

logger = logging.getLogger(__name__)


class SparseTranslationEvaluator(SparseEvaluator):
    """Translation matching accuracy in both directions; ``print_wrong_matches`` logs each miss (INFO)."""

    def __init__(
        self,
        source_sentences: Sequence[str],
        target_sentences: Sequence[str],
        show_progress_bar: bool = False,
        batch_size: int = 16,
        name: str = "",
        print_wrong_matches: bool = False,
        write_csv: bool = True,
        max_active_dims: int | None = None,
    ) -> None:
        super().__init__(
            name, write_csv=write_csv, batch_size=batch_size, show_progress_bar=show_progress_bar, max_active_dims=max_active_dims
        )
        check_same_length(source_sentences=source_sentences, target_sentences=target_sentences)
        self.source_sentences, self.target_sentences = list(source_sentences), list(target_sentences)
        self.print_wrong_matches = print_wrong_matches
        self.csv_file = f"translation_evaluation{name}_results.csv"
        self.primary_metric = "mean_accuracy"

    def compute_metrics(self, model: Any) -> dict[str, float]:
        """Encode both sides and match each sentence with its most similar counterpart."""
        sources = self.encode(model, self.source_sentences, None, "all")
        targets = self.encode(model, self.target_sentences, None, "all")
        similarities = cos_sim(sources, targets).numpy()
        src2trg = self._accuracy(similarities, self.source_sentences, self.target_sentences)
        trg2src = self._accuracy(similarities.T, self.target_sentences, self.source_sentences)
        return {
            "src2trg_accuracy": src2trg,
            "trg2src_accuracy": trg2src,
            "mean_accuracy": (src2trg + trg2src) / 2,
            **self.sparsity.stats("all", prefix=False),
        }

    def csv_columns(self) -> list[tuple[str, str]]:
        """``src2trg, trg2src, active_dims, sparsity_ratio``."""
        columns = [("src2trg", "src2trg_accuracy"), ("trg2src", "trg2src_accuracy")]
        return columns + [("active_dims", "active_dims"), ("sparsity_ratio", "sparsity_ratio")]

    def _accuracy(self, similarities: np.ndarray, queries: list[str], candidates: list[str]) -> float:
        best = similarities.argmax(axis=1)
        correct = 0
        for i, j in enumerate(best.tolist()):
            if candidates[j] == candidates[i]:
                correct += 1
            elif self.print_wrong_matches:
                logger.info(
                    "wrong match: %r -> %r instead of %r (%.4f vs %.4f)",
                    queries[i], candidates[j], candidates[i], similarities[i, j], similarities[i, i],
                )
        return correct / len(queries)
