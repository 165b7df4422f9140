"""Sparse-aware similarity functions; every one accepts sparse COO or dense tensors and returns dense."""

from __future__ import annotations

from enum import Enum
from typing import Callable

import torch

from .errors import InputError
from .sparse import to_dense


_TINY = 1e-30  # distances are sqrt(max(d2, _TINY)): finite gradients for identical vectors


class SimilarityFunction(str, Enum):
    """The similarity functions a SparseEncoder can use."""

    DOT = "dot"
    COSINE = "cosine"
    EUCLIDEAN = "euclidean"
    MANHATTAN = "manhattan"

    @classmethod
    def parse(cls, value: "str | SimilarityFunction") -> "SimilarityFunction":
        """Accept an enum member or its name; anything else is a ValueError listing the options."""
        try:
            return cls(value)
        except ValueError:
            options = [m.value for m in cls]
            raise InputError(f"similarity function must be one of {options}, got {value!r}") from None


def _as_2d(x: torch.Tensor) -> torch.Tensor:
    x = torch.as_tensor(x) if not isinstance(x, torch.Tensor) else x
    return x.unsqueeze(0) if x.dim() == 1 else x


def _float(x: torch.Tensor) -> torch.Tensor:
    return x if x.dtype.is_floating_point else x.float()


def normalize_embeddings(x: torch.Tensor) -> torch.Tensor:
    """L2-normalise each row; sparse input stays sparse."""
    x = _float(_as_2d(x))
    if x.is_sparse:
        x = x.coalesce()
        norms = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
        norms.index_add_(0, x.indices()[0], x.values() ** 2)
        scale = norms.sqrt().clamp(min=1e-12)[x.indices()[0]]
        return torch.sparse_coo_tensor(x.indices(), x.values() / scale, x.shape, check_invariants=False).coalesce()
    return torch.nn.functional.normalize(x, p=2, dim=1)


def dot_score(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """[N, M] dot products."""
    a, b = _float(_as_2d(a)), _float(_as_2d(b))
    if a.is_sparse or b.is_sparse:
        return to_dense(torch.sparse.mm(a if a.is_sparse else a.to_sparse(), to_dense(b).T))
    return a @ b.T


def cos_sim(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """[N, M] cosine similarities."""
    return dot_score(normalize_embeddings(a), normalize_embeddings(b))


def _squared_norms(x: torch.Tensor) -> torch.Tensor:
    if x.is_sparse:
        x = x.coalesce()
        out = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
        return out.index_add_(0, x.indices()[0], x.values() ** 2)
    return (x * x).sum(dim=1)


def euclidean_sim(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """[N, M] negative Euclidean distances."""
    a, b = _float(_as_2d(a)), _float(_as_2d(b))
    squared = _squared_norms(a)[:, None] - 2 * dot_score(a, b) + _squared_norms(b)[None, :]
    return -squared.clamp(min=_TINY).sqrt()


def manhattan_sim(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """[N, M] negative Manhattan distances."""
    a, b = to_dense(_float(_as_2d(a))), to_dense(_float(_as_2d(b)))
    return -torch.cdist(a, b, p=1)


def pairwise_dot_score(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """[N] dot products of matching rows."""
    a, b = to_dense(_float(_as_2d(a))), to_dense(_float(_as_2d(b)))
    return (a * b).sum(dim=-1)


def pairwise_cos_sim(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """[N] cosine similarities of matching rows."""
    return pairwise_dot_score(to_dense(normalize_embeddings(a)), to_dense(normalize_embeddings(b)))


def pairwise_euclidean_sim(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """[N] negative Euclidean distances of matching rows."""
    a, b = to_dense(_float(_as_2d(a))), to_dense(_float(_as_2d(b)))
    return -((a - b) ** 2).sum(dim=-1).clamp(min=_TINY).sqrt()


def pairwise_manhattan_sim(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """[N] negative Manhattan distances of matching rows."""
    a, b = to_dense(_float(_as_2d(a))), to_dense(_float(_as_2d(b)))
    return -(a - b).abs().sum(dim=-1)


SIMILARITY_FUNCTIONS: dict[SimilarityFunction, tuple[Callable, Callable]] = {
    SimilarityFunction.DOT: (dot_score, pairwise_dot_score),
    SimilarityFunction.COSINE: (cos_sim, pairwise_cos_sim),
    SimilarityFunction.EUCLIDEAN: (euclidean_sim, pairwise_euclidean_sim),
    SimilarityFunction.MANHATTAN: (manhattan_sim, pairwise_manhattan_sim),
}


def similarity_functions(name: str | SimilarityFunction) -> tuple[Callable, Callable]:
    """The ``(matrix, pairwise)`` functions for a similarity name."""
    return SIMILARITY_FUNCTIONS[SimilarityFunction.parse(name)]
