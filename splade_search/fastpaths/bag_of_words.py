"""Inference-free query vectors in numpy: each text's distinct token ids x their term weights (no torch).

`term_weights` is what a ``SparseStaticEmbedding`` computes, ``presence(token) * weight[token]``,
as the non-zero ``(rows, cols, values)``; `csr_rows` lays them out as the scipy CSR rows an index
searches with.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np


def term_weights(
    ids: Sequence[Sequence[int]], weight: np.ndarray, max_active_dims: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """``(rows, cols, values)`` of the non-zero entries, sorted by row then column.

    None (use the module chain) for what this does not reproduce exactly: token ids outside the
    weights, ``max_active_dims <= 0``, and a ``max_active_dims`` cut that ties at the boundary
    (torch.topk picks among ties).
    """
    if max_active_dims is not None and max_active_dims <= 0:
        return None
    dim = len(weight)
    lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
    flat = np.fromiter(itertools.chain.from_iterable(ids), dtype=np.int64, count=int(lengths.sum()))
    if len(flat) and (flat.min() < 0 or flat.max() >= dim):
        return None
    keys = np.repeat(np.arange(len(ids), dtype=np.int64), lengths) * dim + flat if len(ids) > 1 else flat
    keys.sort()
    keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))] if len(keys) else keys
    rows, cols = np.divmod(keys, dim)
    values = weight[cols]
    nonzero = values != 0
    rows, cols, values = rows[nonzero], cols[nonzero], values[nonzero]
    if max_active_dims is not None and dim > max_active_dims:
        keep = _top_k(rows, values, len(ids), max_active_dims)
        if keep is None:
            return None
        rows, cols, values = rows[keep], cols[keep], values[keep]
    return rows, cols, values


def _top_k(rows: np.ndarray, values: np.ndarray, n: int, k: int) -> np.ndarray | None:
    """Mask keeping the ``k`` largest |values| of each row; None when a cut falls on a tie."""
    counts = np.bincount(rows, minlength=n)
    keep = np.ones(len(values), dtype=bool)
    starts = np.concatenate(([0], np.cumsum(counts)))
    for row in np.flatnonzero(counts > k):
        lo, hi = starts[row], starts[row + 1]
        magnitude = np.abs(values[lo:hi])
        order = np.argsort(-magnitude, kind="stable")
        if magnitude[order[k - 1]] == magnitude[order[k]]:
            return None
        keep[lo + order[k:]] = False
    return keep


def csr_rows(rows: np.ndarray, cols: np.ndarray, values: np.ndarray, n: int, dim: int) -> Any:
    """The entries (sorted by row then column) as an ``n x dim`` float32 ``scipy.sparse.csr_matrix``."""
    from scipy import sparse as sp

    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    matrix = sp.csr_matrix((np.asarray(values, dtype=np.float32), cols, indptr), shape=(n, dim), dtype=np.float32)
    matrix.has_canonical_format = True
    return matrix
