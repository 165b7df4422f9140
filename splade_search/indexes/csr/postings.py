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


def doc_number_dtype(n_docs: int) -> np.dtype:
    """The smallest integer dtype used for document numbers of an index of ``n_docs``."""
    return np.dtype(np.int32 if n_docs < np.iinfo(np.int32).max else np.int64)
