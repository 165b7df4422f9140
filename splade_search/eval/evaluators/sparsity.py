"""Sparsity statistics gathered over an evaluator's encode calls, and the expected FLOPs of a query-document pair.

Each encode call records its mean active dimensions, its sparsity ratio, its row count and its
count vector (rows in which each dimension is active). A side's stats are the mean over its calls,
either plain or weighted by the rows of each call. ``avg_flops`` is
``Σ_j (n_q(j) / N_q) · (n_d(j) / N_d)``: the expected number of active dimensions a query and a
document share.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from ...sparse import compute_count_vector, sparsity


@dataclass
class SideSparsity:
    """The encode calls of one side (``query``, ``corpus``, ``anchor``...)."""

    active_dims: list[float] = field(default_factory=list)
    sparsity_ratio: list[float] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    counts: np.ndarray | None = None

    @property
    def total_rows(self) -> int:
        """Rows encoded on this side, over all calls."""
        return sum(self.rows)

    def mean(self, weighted: bool = False) -> dict[str, float]:
        """``{"active_dims", "sparsity_ratio"}``: the mean over calls, weighted by their rows when asked."""
        if not self.rows:
            return {"active_dims": 0.0, "sparsity_ratio": 1.0}
        weights = np.asarray(self.rows, dtype=np.float64) if weighted else np.ones(len(self.rows))
        if weights.sum() == 0:
            weights = np.ones(len(self.rows))
        return {
            "active_dims": float(np.average(self.active_dims, weights=weights)),
            "sparsity_ratio": float(np.average(self.sparsity_ratio, weights=weights)),
        }


class SparsityTracker:
    """Collects :class:`SideSparsity` per side while an evaluator encodes."""

    def __init__(self) -> None:
        self.sides: dict[str, SideSparsity] = {}

    def record(self, side: str, embeddings: torch.Tensor) -> None:
        """Add one encode call's embeddings (2-D torch tensor, sparse or dense) to ``side``."""
        matrix = embeddings.unsqueeze(0) if embeddings.dim() == 1 else embeddings
        stats = sparsity(matrix)
        entry = self.sides.setdefault(side, SideSparsity())
        entry.active_dims.append(stats["active_dims"])
        entry.sparsity_ratio.append(stats["sparsity_ratio"])
        rows = int(matrix.shape[0]) if matrix.dim() == 2 and matrix.shape[1] > 0 else 0
        entry.rows.append(rows)
        if rows:
            counts = compute_count_vector(matrix).cpu().numpy().astype(np.float64)
            entry.counts = counts if entry.counts is None else entry.counts + counts

    def side(self, name: str) -> SideSparsity:
        """The record of side ``name`` (empty when nothing was encoded on it)."""
        return self.sides.get(name, SideSparsity())

    def stats(self, side: str, *, weighted: bool = False, prefix: bool = True) -> dict[str, float]:
        """``{side}_active_dims`` and ``{side}_sparsity_ratio`` (unprefixed with ``prefix=False``)."""
        values = self.side(side).mean(weighted)
        return {f"{side}_{key}" if prefix else key: value for key, value in values.items()}

    def pooled(self, *, weighted: bool = False) -> dict[str, float]:
        """``active_dims`` and ``sparsity_ratio`` over every call of every side (a single mean)."""
        merged = SideSparsity()
        for entry in self.sides.values():
            merged.active_dims += entry.active_dims
            merged.sparsity_ratio += entry.sparsity_ratio
            merged.rows += entry.rows
        return merged.mean(weighted)

    def avg_flops(self, query_side: str = "query", corpus_side: str = "corpus") -> float:
        """Expected shared active dimensions of a ``query_side`` and a ``corpus_side`` embedding."""
        query, corpus = self.side(query_side), self.side(corpus_side)
        return avg_flops(query.counts, query.total_rows, corpus.counts, corpus.total_rows)


def avg_flops(
    query_counts: np.ndarray | None, num_queries: int, corpus_counts: np.ndarray | None, num_docs: int
) -> float:
    """``dot(query_counts / num_queries, corpus_counts / num_docs)``; 0 when either side is empty."""
    if query_counts is None or corpus_counts is None or not num_queries or not num_docs:
        return 0.0
    return float(np.dot(np.asarray(query_counts) / num_queries, np.asarray(corpus_counts) / num_docs))
