"""Elasticsearch: a ``sparse_vector`` export and the ``sparse_vector`` query that searches it (Elasticsearch 8.15+).

Load an export (see `bulk`) with ``PUT /<index>`` (body: ``mapping.json``), then ``POST /<index>/_bulk``
with each ``bulk-*.ndjson`` file. Token names are escaped (`tokens.escape_token`) in the documents and
in the query alike. A hit's score is the dot product of the query and document weights, within the
9 significant bits (about 0.4 %) that a ``sparse_vector`` field keeps per weight. New indexes prune
frequent tokens from queries by default; pass ``prune=False`` for the exact dot product.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..retrieval.hits import check_k
from .queries import DEFAULT_FIELD, QueryLike, feature_weights, query_terms

FIELD_TYPE = "sparse_vector"


def elasticsearch_query(
    query: QueryLike,
    *,
    model: Any = None,
    vocab: Sequence[str] | None = None,
    field: str = DEFAULT_FIELD,
    k: int = 10,
    prune: bool | None = False,
) -> dict[str, Any]:
    """The search body of a ``sparse_vector`` query with a ``query_vector`` for the top ``k``.

    ``query``, ``model``, ``vocab``: see `queries`. ``prune``: Elasticsearch's token pruning (``None``: the
    field's default). The vector ``field`` is left out of the returned sources.
    """
    tokens = feature_weights(query_terms(query, model=model, vocab=vocab), "Elasticsearch")
    body: dict[str, Any] = {"field": field, "query_vector": tokens}
    if prune is not None:
        body["prune"] = prune
    return {"size": check_k(k), "query": {"sparse_vector": body}, "_source": {"excludes": [field]}}
