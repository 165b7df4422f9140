"""SparseMSEEvaluator: how far the student's embeddings of ``target_sentences`` are from the teacher's of ``source_sentences``.

``negative_mse = -100 · mean((teacher(source) - student(target))²)`` over all dimensions (dense
embeddings, the one evaluator that does not encode to sparse tensors), with the student's
``active_dims`` and ``sparsity_ratio``. The teacher embeddings are computed once, at construction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch

from ...errors import InputError
from .base import SparseEvaluator, check_same_length


class SparseMSEEvaluator(SparseEvaluator):
    """Distillation check: mean squared error between teacher and student embeddings, negated and scaled by 100."""

    def __init__(
        self,
        source_sentences: Sequence[str],
        target_sentences: Sequence[str],
        teacher_model: Any = None,
        show_progress_bar: bool = False,
        batch_size: int = 32,
        name: str = "",
        write_csv: bool = True,
        max_active_dims: int | None = None,
    ) -> None:
        super().__init__(
            name, write_csv=write_csv, batch_size=batch_size, show_progress_bar=show_progress_bar, max_active_dims=max_active_dims
        )
        check_same_length(source_sentences=source_sentences, target_sentences=target_sentences)
        if teacher_model is None:
            raise InputError("SparseMSEEvaluator needs teacher_model, the model whose embeddings the student should match")
        self.target_sentences = list(target_sentences)
        self.csv_file = f"mse_evaluation_{name}_results.csv"
        self.primary_metric = "negative_mse"
        self.source_embeddings = self._dense(teacher_model, list(source_sentences))

    def compute_metrics(self, model: Any) -> dict[str, float]:
        """Encode the targets with ``model`` and compare them with the teacher's source embeddings."""
        target = self._dense(model, self.target_sentences)
        self.sparsity.record("target", target)
        if target.shape != self.source_embeddings.shape:
            raise InputError(
                f"the student's embeddings have shape {tuple(target.shape)} but the teacher's {tuple(self.source_embeddings.shape)}"
            )
        mse = float(((self.source_embeddings - target) ** 2).mean()) * 100
        return {"negative_mse": 0.0 - mse, **self.sparsity.stats("target", prefix=False)}

    def csv_columns(self) -> list[tuple[str, str]]:
        """``MSE`` (positive, x100), ``active_dims``, ``sparsity_ratio``."""
        return [("MSE", "negative_mse"), ("active_dims", "active_dims"), ("sparsity_ratio", "sparsity_ratio")]

    def csv_row(self, metrics: Mapping[str, float]) -> list[float]:
        """The MSE column holds the positive error, as in the reference CSV."""
        return [-metrics["negative_mse"], metrics["active_dims"], metrics["sparsity_ratio"]]

    def _dense(self, model: Any, sentences: list[str]) -> torch.Tensor:
        return model.encode(
            sentences,
            batch_size=self.batch_size,
            show_progress_bar=self.show_progress_bar,
            convert_to_sparse_tensor=False,
            save_to_cpu=True,
            max_active_dims=self.max_active_dims,
        ).float()
