"""Term-major posting arrays: for each term, the documents that contain it and their weights.

``indptr[t]:indptr[t + 1]`` delimits term ``t``'s postings in ``docs`` (document numbers, ascending
within a term) and ``weights`` (stored values, any dtype). All operations are vectorised numpy,
linear in the number of postings.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from .ranges import concat_ranges, offsets_of


class Postings(NamedTuple):
    """The three arrays of a term-major posting index."""

    indptr: np.ndarray
    docs: np.ndarray
    weights: np.ndarray


def from_doc_major(matrix: sp.csr_matrix) -> Postings:
    """The postings of a documents x terms matrix."""
    term_major = matrix.tocsc()
    return Postings(term_major.indptr.astype(np.int64), term_major.indices, term_major.data)


def keep(postings: Postings, mask: np.ndarray) -> Postings:
    """The postings where ``mask`` is true, in the same layout."""
    kept_before = np.zeros(len(mask) + 1, dtype=np.int64)
    np.cumsum(mask, out=kept_before[1:])
    return Postings(kept_before[postings.indptr], postings.docs[mask], postings.weights[mask])


def merge(old: Postings, new: Postings) -> Postings:
    """Each term's ``old`` postings followed by its ``new`` ones (new documents must number after old)."""
    old_terms = np.repeat(np.arange(len(old.indptr) - 1), np.diff(old.indptr))
    new_terms = np.repeat(np.arange(len(new.indptr) - 1), np.diff(new.indptr))
    old_slots = np.arange(len(old.docs)) + new.indptr[old_terms]
    new_slots = np.arange(len(new.docs)) + old.indptr[new_terms + 1]
    docs = np.empty(len(old.docs) + len(new.docs), dtype=np.result_type(old.docs, new.docs))
    weights = np.empty(len(docs), dtype=old.weights.dtype)
    docs[old_slots], docs[new_slots] = old.docs, new.docs
    weights[old_slots], weights[new_slots] = old.weights, new.weights
    return Postings(old.indptr + new.indptr, docs, weights)


def term_ranges(indptr: np.ndarray, size: int) -> list[int]:
    """Term numbers ``0 = b0 < b1 < ... = n_terms`` that cut the terms of ``indptr`` into ranges of at
    most ``size`` postings each (a term that alone holds more gets a range of its own)."""
    n_terms, bounds = len(indptr) - 1, [0]
    while bounds[-1] < n_terms:
        fits = int(np.searchsorted(indptr, indptr[bounds[-1]] + size, side="right")) - 1
        bounds.append(min(n_terms, max(fits, bounds[-1] + 1)))
    return bounds


def pieces(postings: Postings, size: int) -> Iterator[Postings]:
    """``postings`` term range by term range (`term_ranges`), each piece with its own ``indptr`` from 0."""
    bounds = term_ranges(postings.indptr, size)
    for first, last in zip(bounds[:-1], bounds[1:]):
        a, b = int(postings.indptr[first]), int(postings.indptr[last])
        yield Postings(postings.indptr[first : last + 1] - a, postings.docs[a:b], postings.weights[a:b])


class DocRanges:
    """Consecutive document ranges of term-major postings, read as rows (each call starts where the last stopped).

    Rows ``[start, stop)`` are one slice of every term's list: a cursor per term remembers where the
    previous range ended, and one vectorised binary search over all terms at once finds where this one
    ends. Memory: a few arrays of vocabulary size plus the range's postings, whatever the index size.
    """

    def __init__(self, postings: Postings, n_docs: int) -> None:
        self._indptr = np.asarray(postings.indptr, dtype=np.int64)
        self._docs, self._weights = postings.docs, postings.weights
        self._cursor = self._indptr[:-1].copy()
        self._n_docs = n_docs
        self._next = 0

    def rows(self, start: int, stop: int) -> sp.csr_matrix:
        """Documents ``[start, stop)`` as a documents x terms matrix of stored weights (terms ascending per row)."""
        if start != self._next:
            raise ValueError(f"rows must be read in order: expected row {self._next}, got {start}")
        ends = self._indptr[1:] if stop == self._n_docs else self._first_at_least(stop)
        where = concat_ranges(self._cursor, ends)
        block = sp.csc_matrix(
            (np.asarray(self._weights[where]), np.asarray(self._docs[where]) - start, offsets_of(ends - self._cursor)),
            shape=(stop - start, len(ends)),
        )
        self._cursor, self._next = ends.copy(), stop
        return block.tocsr()

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


def to_doc_major(postings: Postings, n_docs: int, size: int = 1 << 24) -> Postings:
    """The same postings document by document: per document, its term numbers (ascending, int32) and weights.

    Read as `DocRanges` of about ``size`` postings, each written to its place, so that besides the result
    one range's copy is held in memory (a scipy ``tocsr`` of the whole index would copy every posting twice).
    """
    nnz = int(postings.indptr[-1])
    counts = np.zeros(n_docs, dtype=np.int64)
    for a in range(0, nnz, size):
        counts += np.bincount(np.asarray(postings.docs[a : min(a + size, nnz)]), minlength=n_docs)
    doc_indptr = offsets_of(counts)
    terms_out = np.empty(nnz, dtype=np.int32)
    weights_out = np.empty(nnz, dtype=np.asarray(postings.weights[:0]).dtype)
    ranges = DocRanges(postings, n_docs)
    bounds = term_ranges(doc_indptr, size)  # the cut works on any cumulative array
    for first, last in zip(bounds[:-1], bounds[1:]):
        block = ranges.rows(first, last)
        terms_out[doc_indptr[first] : doc_indptr[last]] = block.indices
        weights_out[doc_indptr[first] : doc_indptr[last]] = block.data
    return Postings(doc_indptr, terms_out, weights_out)


def doc_number_dtype(n_docs: int) -> np.dtype:
    """The smallest integer dtype used for document numbers of an index of ``n_docs``."""
    return np.dtype(np.int32 if n_docs < np.iinfo(np.int32).max else np.int64)
