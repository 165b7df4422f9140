"""Deterministic top-k selection.

Hits are ordered by score descending, then by internal document number ascending, so equal scores
always come out in index order and a tie at the k-th place is settled the same way every time.
`deepened` restricts any top-k function to a subset of documents (filters on backends without a
native filter).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

TopK = Callable[[np.ndarray, np.ndarray, int], tuple[np.ndarray, np.ndarray]]


def top_k(doc_numbers: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best ``(doc_numbers, scores)`` pairs in ranking order (fewer if fewer are given)."""
    if len(scores) > k:
        cut = len(scores) - k
        kth_best = np.partition(scores, cut)[cut]
        keep = scores >= kth_best
        doc_numbers, scores = doc_numbers[keep], scores[keep]
    order = np.lexsort((doc_numbers, -scores))[:k]
    return doc_numbers[order], scores[order]


def top_k_dense(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` over a score per document, skipping documents whose score is exactly zero."""
    candidates = np.flatnonzero(scores)
    return top_k(candidates, scores[candidates], k)


def deepened(scorer: TopK, allowed: np.ndarray) -> TopK:
    """``scorer`` restricted to the documents where ``allowed`` is true, for backends that cannot filter inside.

    Asks ``scorer`` for ever deeper rankings (x4) until ``k`` allowed documents are among them or the
    ranking is exhausted, so a filtered query still gets ``k`` hits whenever ``k`` allowed documents match:
    exact whenever ``scorer`` is.
    """

    def top_k_allowed(terms: np.ndarray, weights: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        depth = k
        while True:
            numbers, scores = scorer(terms, weights, depth)
            keep = allowed[numbers]
            if int(keep.sum()) >= k or len(numbers) < depth or depth >= len(allowed):
                return numbers[keep][:k], scores[keep][:k]
            depth = min(depth * 4, len(allowed))

    return top_k_allowed
