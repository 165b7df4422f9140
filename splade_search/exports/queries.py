"""An encoded query in the shape every query builder starts from: its terms, as column ids and tokens, and weights.

A query is given as one of:

- a string, with ``model=`` (a `SparseEncoder`): encoded with ``model.encode_query`` as
  `SparseRetriever` does (unit length for cosine models), tokens from the model's vocabulary;
- a sparse vector (scipy row, 1-D numpy array or torch tensor, one column per vocabulary token) with
  ``vocab=`` (e.g. ``index.vocab``) to name its columns (`qdrant_query` needs no names);
- a mapping ``{token: weight}`` (as ``model.decode`` gives); ``vocab=`` maps tokens to column ids;
- a `QueryTerms`, used as it is.

Zero weights are dropped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Union

from ..errors import InputError
from ..indexes.convert import as_csr
from .tokens import escape_token

DEFAULT_FIELD = "tokens"
"""The default name of the vector field (Elasticsearch, OpenSearch) and of the sparse vector (Qdrant)."""


@dataclass(frozen=True)
class QueryTerms:
    """The non-zero terms of one query: column ids (``None`` when unknown), tokens (``None`` when unknown), weights."""

    ids: tuple[int, ...] | None
    tokens: tuple[str, ...] | None
    weights: tuple[float, ...]

    def token_weights(self) -> dict[str, float]:
        """``{token: weight}``; `InputError` when the tokens are unknown."""
        if self.tokens is None:
            raise InputError("the query's terms have no token names; pass vocab= (the index's vocabulary) to name them")
        return dict(zip(self.tokens, self.weights, strict=True))


QueryLike = Union[QueryTerms, str, Mapping[str, float], Any]
"""What the query builders accept (see the module docstring)."""


def query_terms(query: QueryLike, *, model: Any = None, vocab: Sequence[str] | None = None) -> QueryTerms:
    """``query`` as `QueryTerms` (see the module docstring for what it may be)."""
    if isinstance(query, QueryTerms):
        return query
    if isinstance(query, str):
        return _encoded(query, model)
    if isinstance(query, Mapping):
        return _from_mapping(query, vocab)
    return _from_vector(query, vocab)


def _encoded(text: str, model: Any) -> QueryTerms:
    if model is None:
        raise InputError("a query text needs model= (the encoder the index was built with) to encode it")
    from ..retrieval.vocabulary import model_vocabulary, prepare_rows, score_space
    from ..sparse import to_scipy_csr

    vectors = model.encode_query([text], convert_to_sparse_tensor=True, save_to_cpu=True)
    return _from_vector(prepare_rows(to_scipy_csr(vectors), score_space(model)), model_vocabulary(model))


def _from_mapping(query: Mapping[str, float], vocab: Sequence[str] | None) -> QueryTerms:
    tokens, weights = [], []
    for token, weight in query.items():
        if not isinstance(token, str):
            raise InputError(f"query tokens must be strings, got {type(token).__name__} {token!r}")
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight):
            raise InputError(f"the weight of query token {token!r} must be a finite number, got {weight!r}")
        if weight:
            tokens.append(token)
            weights.append(float(weight))
    ids = None
    if vocab is not None:
        columns = {token: column for column, token in reversed(list(enumerate(vocab)))}
        unknown = next((t for t in tokens if t not in columns), None)
        if unknown is not None:
            raise InputError(f"query token {unknown!r} is not in the vocabulary")
        ids = tuple(columns[t] for t in tokens)
    return QueryTerms(ids, tuple(tokens), tuple(weights))


def _from_vector(query: Any, vocab: Sequence[str] | None) -> QueryTerms:
    matrix = as_csr(query, len(vocab) if vocab is not None else None)
    if matrix.shape[0] != 1:
        raise InputError(f"a query builder takes one query vector, got {matrix.shape[0]}")
    ids = matrix.indices.tolist()
    tokens = tuple(vocab[i] for i in ids) if vocab is not None else None
    return QueryTerms(tuple(ids), tokens, tuple(matrix.data.tolist()))


def feature_weights(terms: QueryTerms, engine: str) -> dict[str, float]:
    """``{escaped token: weight}`` of a query for ``engine``, which scores positive weights only (`InputError` otherwise)."""
    weights = terms.token_weights()
    negative = next((t for t, w in weights.items() if w < 0), None)
    if negative is not None:
        raise InputError(f"{engine} scores positive query weights only; token {negative!r} weighs {weights[negative]}")
    if not weights:
        raise InputError(f"the query has no terms to send to {engine} (every weight is zero)")
    return {escape_token(token): weight for token, weight in weights.items()}
