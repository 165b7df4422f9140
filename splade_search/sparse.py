"""Helpers on batches of sparse embeddings (torch sparse COO or dense tensors)."""

from __future__ import annotations

from typing import Any

import torch

from .errors import InputError


def to_dense(x: torch.Tensor) -> torch.Tensor:
    """A dense view of a sparse or dense tensor."""
    return x.to_dense() if x.is_sparse or x.layout != torch.strided else x


def select_max_active_dims(embeddings: torch.Tensor, max_active_dims: int | None) -> torch.Tensor:
    """Keep the ``max_active_dims`` largest |values| per row (on a copy); the rest become 0."""
    if max_active_dims is None:
        return embeddings
    if max_active_dims <= 0:
        raise InputError(f"max_active_dims must be a positive integer, got {max_active_dims}")
    if embeddings.shape[-1] <= max_active_dims:
        return embeddings
    top = torch.topk(embeddings.abs(), k=max_active_dims, dim=-1)
    kept = torch.zeros_like(embeddings)
    return kept.scatter(-1, top.indices, embeddings.gather(-1, top.indices))


def sparsity(embeddings: torch.Tensor | list[torch.Tensor]) -> dict[str, float]:
    """``{"active_dims": mean non-zeros per row, "sparsity_ratio": 1 - active_dims / dim}``."""
    if isinstance(embeddings, list):
        embeddings = torch.stack(embeddings) if embeddings else torch.tensor([])
    if embeddings.numel() == 0 and not embeddings.is_sparse:
        return {"active_dims": 0.0, "sparsity_ratio": 1.0}
    if embeddings.dim() == 1:
        embeddings = embeddings.unsqueeze(0)
    dim = embeddings.shape[-1]
    rows = embeddings.shape[0]
    if rows == 0 or dim == 0:
        return {"active_dims": 0.0, "sparsity_ratio": 1.0}
    if embeddings.is_sparse:
        coalesced = embeddings.coalesce()
        nonzero = int((coalesced.values() != 0).sum())
    else:
        nonzero = int((embeddings != 0).sum())
    active = nonzero / rows
    return {"active_dims": float(active), "sparsity_ratio": float(1.0 - active / dim)}


def compute_count_vector(embeddings: torch.Tensor) -> torch.Tensor:
    """Per dimension, the number of rows in which it is non-zero."""
    if embeddings.is_sparse:
        coalesced = embeddings.coalesce()
        cols = coalesced.indices()[-1][coalesced.values() != 0]
        return torch.bincount(cols, minlength=embeddings.shape[-1]).float()
    return (embeddings != 0).sum(dim=0).float()


def to_scipy_csr(embeddings: torch.Tensor) -> Any:
    """A 2-D torch tensor (sparse or dense) as a ``scipy.sparse.csr_matrix`` of float32."""
    import numpy as np
    from scipy import sparse as sp

    if embeddings.dim() == 1:
        embeddings = embeddings.unsqueeze(0)
    if embeddings.is_sparse:
        coalesced = embeddings.coalesce().cpu()
        rows, cols = coalesced.indices().numpy()
        values = coalesced.values().float().numpy()
        keep = values != 0
        rows, cols, values = rows[keep], cols[keep], values[keep]
        indptr = np.zeros(embeddings.shape[0] + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=embeddings.shape[0]), out=indptr[1:])
        # a coalesced COO tensor is sorted by (row, column): its entries are already in CSR order
        matrix = sp.csr_matrix((values, cols, indptr), shape=tuple(embeddings.shape), dtype=np.float32)
        matrix.has_canonical_format = True
        return matrix
    return sp.csr_matrix(embeddings.detach().cpu().float().numpy())
