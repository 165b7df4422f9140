"""Deterministic top-k selection.

Hits are ordered by score descending, then by internal document number ascending, so equal scores
always come out in index order and a tie at the k-th place is settled the same way every time.
"""

from __future__ import annotations

import numpy as np


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
