"""A small csr index whose vocabulary holds every token spelling engines trip over, and readers of exports."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.sparse as sp

from splade_search.indexes import SparseIndex, build_index

AWKWARD_TOKENS = [".", "...", "##.", "##ing", "_", "__init__", "", " ", "a b", "\t", "%", "%2E", "[unused0]", "café", "x.y.z"]
N_DOCS, N_TERMS = 120, 60


def vocabulary() -> list[str]:
    """``N_TERMS`` distinct tokens, the awkward ones first."""
    return AWKWARD_TOKENS + [f"tok{i}" for i in range(N_TERMS - len(AWKWARD_TOKENS))]


def vectors(seed: int = 0, n_rows: int = N_DOCS) -> sp.csr_matrix:
    """Rows of 1 to 12 distinct terms with positive weights (lognormal: no two dot products tie), one empty row."""
    rng = np.random.default_rng(seed)
    dense = np.zeros((n_rows, N_TERMS), dtype=np.float32)
    for row in range(n_rows):
        if row != n_rows // 2:
            terms = rng.choice(N_TERMS, size=rng.integers(1, 13), replace=False)
            dense[row, terms] = rng.lognormal(-0.5, 0.6, size=len(terms))
    return sp.csr_matrix(dense)


def doc_ids(n: int = N_DOCS) -> list[str]:
    """Ids with spaces, dots and non-ASCII characters."""
    return [f"doc {i}.é" for i in range(n)]


def build(path: Path, *, stored: bool = True, **options) -> tuple[SparseIndex, sp.csr_matrix]:
    """A csr index of `vectors` at ``path`` (with stored documents and metadata unless ``stored`` is false)."""
    matrix, ids = vectors(), doc_ids()
    extra = {}
    if stored:
        extra["documents"] = [(doc_id, f"Title {i}", f"text of document {i}") for i, doc_id in enumerate(ids)]
        extra["fields"] = [{"year": 2000 + i % 7, "lang": "en" if i % 2 else "fr", "tags": ["x", "y"][: i % 3]} for i in range(len(ids))]
    index = build_index(path, [(ids[:50], matrix[:50]), (ids[50:], matrix[50:])], vocabulary(), show_progress=False, **extra, **options)
    return index, matrix


def exact_top(index: SparseIndex, query: sp.csr_matrix, k: int = 10) -> list[tuple[str, float]]:
    """The csr index's exact top-``k``: (id, score) pairs."""
    (result,) = index.search(query, k)
    return list(zip(result.ids, result.scores.tolist()))


def token_matrix(rows: list[dict[str, float]], vocab: list[str]) -> sp.csr_matrix:
    """``{token: weight}`` rows back into a documents x vocabulary matrix."""
    column = {token: i for i, token in enumerate(vocab)}
    matrix = sp.lil_matrix((len(rows), len(vocab)), dtype=np.float32)
    for r, row in enumerate(rows):
        for token, weight in row.items():
            matrix[r, column[token]] = weight
    return matrix.tocsr()
