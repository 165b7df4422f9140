"""Turning sparse vectors from any common container into one canonical scipy CSR matrix."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import InputError


def as_csr(x: Any, n_cols: int | None = None) -> sp.csr_matrix:
    """Sparse vectors as a float32 CSR matrix, one row per vector.

    Accepts scipy sparse matrices/arrays, numpy arrays (1-D: one vector) and torch tensors (dense,
    sparse COO or sparse CSR; torch is imported only when given a tensor). The result has sorted
    indices, no duplicates and no stored zeros; it never shares memory with ``x``. Raises
    `InputError` for other types, more than two dimensions, NaN/infinite values, or a width other
    than ``n_cols`` when that is given.
    """
    if sp.issparse(x):
        matrix = sp.csr_matrix(x, dtype=np.float32, copy=True)
    elif isinstance(x, np.ndarray):
        matrix = _dense_to_csr(x)
    elif type(x).__module__.split(".")[0] == "torch":
        matrix = _torch_to_csr(x)
    else:
        raise InputError(
            f"expected sparse vectors as a scipy sparse matrix, numpy array or torch tensor, got {type(x).__name__}"
        )
    matrix.sum_duplicates()
    matrix.eliminate_zeros()
    if not np.isfinite(matrix.data).all():
        raise InputError("sparse vectors contain NaN or infinite weights")
    if n_cols is not None and matrix.shape[1] != n_cols:
        raise InputError(f"sparse vectors have {matrix.shape[1]} columns, expected {n_cols} (the vocabulary size)")
    return matrix


def _dense_to_csr(x: np.ndarray) -> sp.csr_matrix:
    if x.ndim not in (1, 2):
        raise InputError(f"expected a 1-D or 2-D array of sparse vectors, got shape {x.shape}")
    return sp.csr_matrix(np.atleast_2d(x).astype(np.float32))


def _torch_to_csr(x: Any) -> sp.csr_matrix:
    import torch

    if not isinstance(x, torch.Tensor):
        raise InputError(f"expected a torch.Tensor, got {type(x).__name__}")
    if x.dim() not in (1, 2):
        raise InputError(f"expected a 1-D or 2-D tensor of sparse vectors, got shape {tuple(x.shape)}")
    x = x.detach().cpu()
    shape = (1, x.shape[0]) if x.dim() == 1 else tuple(x.shape)
    if x.layout == torch.sparse_coo:
        x = x.coalesce()
        indices = x.indices().numpy()
        values = x.values().float().numpy()
        rows, cols = (np.zeros_like(indices[0]), indices[0]) if x.dim() == 1 else (indices[0], indices[1])
        return sp.coo_matrix((values, (rows, cols)), shape=shape).tocsr()
    if x.layout == torch.sparse_csr:
        return sp.csr_matrix(
            (x.values().float().numpy(), x.col_indices().numpy(), x.crow_indices().numpy()), shape=shape
        )
    if x.layout == torch.strided:
        return _dense_to_csr(x.float().numpy())
    raise InputError(f"unsupported torch tensor layout {x.layout}; use a dense, sparse COO or sparse CSR tensor")
