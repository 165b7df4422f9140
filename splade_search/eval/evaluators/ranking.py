"""Exact top-k over a corpus scored chunk by chunk, with optional self-hit removal.

Scores arrive per corpus chunk, either as a scipy sparse matrix (only the stored entries are
candidates: with dot-product scoring of sparse vectors, a document that shares no dimension with
the query is not retrieved, as in the indexes) or as a dense array (every document is a candidate).
Ties are settled as in the indexes: score descending, then document number ascending.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from ...indexes.topk import top_k

NO_EXCLUSION = -1


class ChunkedTopK:
    """The best ``depth`` documents per query, merged over corpus chunks."""

    def __init__(self, num_queries: int, depth: int, exclude: Sequence[int] | None = None) -> None:
        """``exclude[i]``: a corpus document number never returned for query ``i`` (``-1``: none)."""
        self.depth = depth
        self.exclude = np.full(num_queries, NO_EXCLUSION, np.int64) if exclude is None else np.asarray(exclude, np.int64)
        self._numbers = [np.empty(0, np.int64) for _ in range(num_queries)]
        self._scores = [np.empty(0, np.float32) for _ in range(num_queries)]

    def add_sparse(self, scores: sp.csr_matrix, offset: int, first_query: int = 0) -> None:
        """Merge the stored entries of ``scores`` ([queries, chunk docs]) for queries ``first_query...``."""
        scores = sp.csr_matrix(scores)
        for row in range(scores.shape[0]):
            start, end = scores.indptr[row], scores.indptr[row + 1]
            values = scores.data[start:end]
            keep = values != 0
            self._merge(first_query + row, scores.indices[start:end][keep].astype(np.int64) + offset, values[keep])

    def add_dense(self, scores: np.ndarray, offset: int, first_query: int = 0) -> None:
        """Merge every entry of ``scores`` ([queries, chunk docs]) for queries ``first_query...``."""
        numbers = np.arange(scores.shape[1], dtype=np.int64) + offset
        for row in range(scores.shape[0]):
            self._merge(first_query + row, numbers, np.asarray(scores[row]))

    def results(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per query, ``(document numbers, scores)`` best first."""
        return list(zip(self._numbers, self._scores))

    def _merge(self, query: int, numbers: np.ndarray, scores: np.ndarray) -> None:
        excluded = self.exclude[query]
        if excluded != NO_EXCLUSION:
            keep = numbers != excluded
            numbers, scores = numbers[keep], scores[keep]
        if len(numbers) == 0:
            return
        numbers = np.concatenate([self._numbers[query], numbers])
        scores = np.concatenate([self._scores[query], scores.astype(np.float32, copy=False)])
        self._numbers[query], self._scores[query] = top_k(numbers, scores, self.depth)
