"""Synthetic sparse corpora and a brute-force reference ranking for the index tests."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import scipy.sparse as sp


def random_sparse(n_rows: int, n_cols: int, terms_per_row: int, seed: int, levels: int | None = None) -> sp.csr_matrix:
    """Rows with about ``terms_per_row`` Zipf-distributed terms and positive weights.

    With ``levels``, weights are multiples of 1/16 up to ``levels``/16: every dot product is then
    exact in float32, so equal scores (ties) are frequent and exactly equal in any summation order.
    """
    rng = np.random.default_rng(seed)
    rows, cols = [], []
    for row in range(n_rows):
        terms = np.unique((rng.zipf(1.3, size=terms_per_row) - 1) % n_cols)
        rows.append(np.full(len(terms), row))
        cols.append(terms)
    row_idx, col_idx = np.concatenate(rows), np.concatenate(cols)
    if levels is None:
        data = rng.lognormal(-0.5, 0.6, size=len(row_idx))
    else:
        data = rng.integers(1, levels + 1, size=len(row_idx)) / 16
    return sp.csr_matrix((data.astype(np.float32), (row_idx, col_idx)), shape=(n_rows, n_cols))


def doc_ids(n: int) -> list[str]:
    """Ids with spaces, tabs and non-ASCII characters, which every backend must keep intact."""
    return [f"doc {i}\t#é" for i in range(n)]


def vocab(n: int) -> list[str]:
    """A vocabulary of ``n`` distinct tokens."""
    return [f"tok{i}" for i in range(n)]


def batches(ids: list[str], matrix: sp.csr_matrix, size: int) -> Iterator[tuple[list[str], sp.csr_matrix]]:
    """The corpus cut into batches of ``size`` rows."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size], matrix[start : start + size]


def brute_force(docs: sp.csr_matrix, query: sp.csr_matrix, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Reference top-k: dense float64 scores, non-zero only, score desc then doc number asc."""
    scores = (docs.astype(np.float64) @ query.astype(np.float64).T).toarray().ravel()
    hits = np.flatnonzero(scores)
    order = hits[np.lexsort((hits, -scores[hits]))][:k]
    return order, scores[order]
