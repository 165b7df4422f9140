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


def to_doc_major(postings: Postings, n_docs: int, size: int = 1 << 24) -> Postings:
    """The same postings document by document: per document, its term numbers (ascending, int32) and weights.

    Transposed document range by document range (ranges of about ``size`` postings, each a scipy
    ``tocsr`` written to its place), so that besides the result one range's copy is held in memory.
    """
    indptr, docs, weights = postings
    n_terms, nnz = len(indptr) - 1, int(indptr[-1])
    counts = np.zeros(n_docs, dtype=np.int64)
    for a in range(0, nnz, size):
        counts += np.bincount(np.asarray(docs[a : min(a + size, nnz)]), minlength=n_docs)
    doc_indptr = offsets_of(counts)
    bounds = np.array(term_ranges(doc_indptr, size), dtype=np.int64)  # the cut works on any cumulative array
    splits = np.empty((n_terms, len(bounds)), dtype=np.int64)  # where each term's postings reach each bound
    for term in range(n_terms):
        lo, hi = int(indptr[term]), int(indptr[term + 1])
        splits[term] = lo + np.searchsorted(np.asarray(docs[lo:hi]), bounds)
    terms_out = np.empty(nnz, dtype=np.int32)
    weights_out = np.empty(nnz, dtype=np.asarray(weights[:0]).dtype)
    for j, (first, last) in enumerate(zip(bounds[:-1].tolist(), bounds[1:].tolist())):
        where = concat_ranges(splits[:, j], splits[:, j + 1])
        block = sp.csc_matrix(
            (np.asarray(weights[where]), np.asarray(docs[where]) - first, offsets_of(splits[:, j + 1] - splits[:, j])),
            shape=(last - first, n_terms),
        ).tocsr()
        terms_out[doc_indptr[first] : doc_indptr[last]] = block.indices
        weights_out[doc_indptr[first] : doc_indptr[last]] = block.data
    return Postings(doc_indptr, terms_out, weights_out)


def doc_number_dtype(n_docs: int) -> np.dtype:
    """The smallest integer dtype used for document numbers of an index of ``n_docs``."""
    return np.dtype(np.int32 if n_docs < np.iinfo(np.int32).max else np.int64)
