"""The document vectors a Seismic index stores (its forward index), read back for explain and exact search.

Seismic keeps every document's full vector (float16 weights) beside its pruned posting lists;
``engine.get(row)`` returns one. Seismic rows skip documents without terms, so `RowMap` turns
document numbers into rows. Exact search scores every stored posting of the query's terms: the
term-major matrix it needs is read out of Seismic once, on first use (about 3 s and 8 bytes per
posting per million documents of 250 terms), and kept in memory.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import scipy.sparse as sp

from ...errors import IndexFormatError
from ..topk import top_k_dense

_CHUNK = 65_536  # rows read from Seismic at a time


class RowMap:
    """Document numbers and Seismic rows: every document has a row, except those without terms."""

    def __init__(self, empty: np.ndarray, n_docs: int, source: str) -> None:
        empty = np.asarray(empty)
        if empty.ndim != 1 or empty.dtype.kind not in "iu":
            raise IndexFormatError(f"{source} must be a 1-D integer array; rebuild the index")
        if len(empty) and (empty[0] < 0 or empty[-1] >= n_docs or (np.diff(empty) <= 0).any()):
            raise IndexFormatError(f"{source} must list document numbers below {n_docs} in increasing order; rebuild the index")
        self.empty = np.asarray(empty, dtype=np.int64)
        self.n_docs = n_docs

    @property
    def rows(self) -> int:
        """Rows Seismic holds."""
        return self.n_docs - len(self.empty)

    def row(self, doc_number: int) -> int | None:
        """The Seismic row of ``doc_number`` (``None`` for a document without terms)."""
        before = int(np.searchsorted(self.empty, doc_number))
        if before < len(self.empty) and self.empty[before] == doc_number:
            return None
        return doc_number - before

    def documents(self) -> np.ndarray:
        """Document number of each Seismic row."""
        return np.delete(np.arange(self.n_docs, dtype=np.int64), self.empty)


class ForwardVectors:
    """Stored document vectors of one Seismic index (see the module docstring)."""

    def __init__(self, engine: Any, rows: RowMap, vocab_size: int) -> None:
        self._engine = engine
        self._rows = rows
        self._vocab_size = vocab_size
        self._lock = threading.Lock()
        self._term_major: sp.csc_matrix | None = None

    def doc_weights(self, terms: np.ndarray, doc_number: int) -> np.ndarray:
        """The stored weight of each of ``terms`` in document ``doc_number`` (0 where absent)."""
        found = np.zeros(len(terms), dtype=np.float32)
        row = self._rows.row(doc_number)
        if row is None:
            return found
        components, values = self._engine.get(row)
        stored = dict(zip(components, values, strict=True))
        for i, term in enumerate(terms.tolist()):
            found[i] = stored.get(term, 0.0)
        return found

    def top_k(self, terms: np.ndarray, weights: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Exact top-``k`` by dot product with the stored vectors, ``allowed`` documents only (when given)."""
        scores = self.term_major()[:, terms] @ weights.astype(np.float32)
        if allowed is not None:
            scores *= allowed
        return top_k_dense(np.asarray(scores, dtype=np.float32).ravel(), k)

    def term_major(self) -> sp.csc_matrix:
        """Every stored vector as a (documents x vocabulary) CSC matrix (read from Seismic once)."""
        with self._lock:
            if self._term_major is None:
                self._term_major = self._read().tocsc()
            return self._term_major

    def _read(self) -> sp.csr_matrix:
        lengths, components, values = [], [], []
        for start in range(0, self._rows.rows, _CHUNK):
            vectors = [self._engine.get(row) for row in range(start, min(start + _CHUNK, self._rows.rows))]
            lengths.append(np.fromiter((len(c) for c, _ in vectors), dtype=np.int64, count=len(vectors)))
            components.append(np.concatenate([np.asarray(c, dtype=np.int32) for c, _ in vectors]))
            values.append(np.concatenate([np.asarray(v, dtype=np.float32) for _, v in vectors]))
        per_doc = np.zeros(self._rows.n_docs, dtype=np.int64)
        per_doc[self._rows.documents()] = np.concatenate(lengths) if lengths else []
        indptr = np.zeros(self._rows.n_docs + 1, dtype=np.int64)
        np.cumsum(per_doc, out=indptr[1:])
        matrix = sp.csr_matrix(
            (np.concatenate(values) if values else np.empty(0, np.float32),
             np.concatenate(components) if components else np.empty(0, np.int32), indptr),
            shape=(self._rows.n_docs, self._vocab_size),
        )
        matrix.sort_indices()
        return matrix
