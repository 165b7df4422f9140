"""Reading an index's document vectors back, a batch of rows at a time, in bounded memory.

A csr index keeps its postings term-major (`indexes.csr.postings`: for each term, the documents that
hold it, ascending). Rows ``[start, stop)`` are one slice of every term's list; a cursor per term
remembers where the previous batch ended, and one vectorised binary search over all terms at once
finds where this one ends. Memory: a few arrays of vocabulary size plus the batch's postings,
whatever the index size. Weights come back dequantized (``stored / scale`` for integer indexes), as
`SparseIndex.explain` reports them.

The Lucene backend keeps its vectors inside Lucene as integer impacts and is not read here: export
an index built with ``--backend csr``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp

from ..errors import InputError

DEFAULT_BATCH_ROWS = 1024


class VectorBatch(NamedTuple):
    """Rows ``start .. start + len(ids)`` of an index: their ids and vectors (float32 CSR, sorted columns)."""

    start: int
    ids: list[str]
    vectors: sp.csr_matrix


def vector_batches(index: Any, batch_rows: int = DEFAULT_BATCH_ROWS) -> Iterator[VectorBatch]:
    """Every row of ``index`` (an opened `SparseIndex`) in row order, ``batch_rows`` rows per batch."""
    if not isinstance(batch_rows, int) or isinstance(batch_rows, bool) or batch_rows < 1:
        raise InputError(f"batch_rows must be a positive integer, got {batch_rows!r}")
    reader = _TermMajorRows(index)
    for start in range(0, len(index), batch_rows):
        stop = min(start + batch_rows, len(index))
        yield VectorBatch(start, index.doc_ids[start:stop], reader.rows(start, stop))


def check_exportable(index: Any) -> None:
    """`InputError` unless `vector_batches` can read ``index`` (a csr index)."""
    if getattr(index, "postings", None) is None or getattr(index, "quantization", None) is None:
        backend = getattr(index, "backend", type(index).__name__)
        raise InputError(
            f"cannot export the {backend!r} index {getattr(index, 'path', '')}: exports read the vectors of csr "
            "indexes only (a Lucene index keeps them inside Lucene as integer impacts); build the index with "
            "--backend csr and export that"
        )


class _TermMajorRows:
    """Consecutive row slices of term-major postings (each call must start where the previous stopped)."""

    def __init__(self, index: Any) -> None:
        check_exportable(index)
        postings, quantization = index.postings, index.quantization
        self._indptr = np.asarray(postings.indptr, dtype=np.int64)
        self._docs, self._weights = postings.docs, postings.weights
        self._scale = quantization.scale
        self._cursor = self._indptr[:-1].copy()
        self._rows = len(index)
        self._next = 0

    def rows(self, start: int, stop: int) -> sp.csr_matrix:
        """Rows ``[start, stop)`` as a documents x vocabulary matrix."""
        if start != self._next:
            raise ValueError(f"rows must be read in order: expected row {self._next}, got {start}")
        ends = self._indptr[1:] if stop == self._rows else self._first_at_least(stop)
        lengths = ends - self._cursor
        firsts = np.cumsum(lengths) - lengths
        positions = np.repeat(self._cursor - firsts, lengths) + np.arange(int(lengths.sum()), dtype=np.int64)
        terms = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
        weights = np.asarray(self._weights[positions], dtype=np.float32)
        if self._scale:
            weights = weights / np.float32(self._scale)
        rows = np.asarray(self._docs[positions], dtype=np.int64) - start
        matrix = sp.csr_matrix((weights, (rows, terms)), shape=(stop - start, len(lengths)))
        matrix.sort_indices()
        self._cursor, self._next = ends.copy(), stop
        return matrix

    def _first_at_least(self, row: int) -> np.ndarray:
        """Per term, the first posting position at or after its cursor whose document is ``row`` or later."""
        low, high = self._cursor.copy(), self._indptr[1:].copy()
        active = np.flatnonzero(low < high)
        while len(active):
            middle = (low[active] + high[active]) // 2
            before = np.asarray(self._docs[middle]) < row
            low[active[before]] = middle[before] + 1
            high[active[~before]] = middle[~before]
            active = active[low[active] < high[active]]
        return low
