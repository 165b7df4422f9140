"""OpenSearch: a ``rank_features`` export and the ``neural_sparse`` and ``rank_feature`` queries that search it.

Load an export (see `bulk`) with ``PUT /<index>`` (body: ``mapping.json``), then ``POST /<index>/_bulk``
with each ``bulk-*.ndjson`` file. Token names are escaped (`tokens.escape_token`) in the documents and
in every query built here alike. A hit's score is the dot product of the query and document weights,
within the 9 significant bits (about 0.4 %) that a ``rank_features`` field keeps per weight.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..retrieval.hits import check_k
from .queries import DEFAULT_FIELD, QueryLike, feature_weights, query_terms

FIELD_TYPE = "rank_features"


def opensearch_query(
    query: QueryLike, *, model: Any = None, vocab: Sequence[str] | None = None, field: str = DEFAULT_FIELD, k: int = 10
) -> dict[str, Any]:
    """The search body of a ``neural_sparse`` query with raw ``query_tokens`` (OpenSearch 2.11+) for the top ``k``.

    ``query``, ``model``, ``vocab``: see `queries` (a text with ``model=``, a vector with ``vocab=``, or
    ``{token: weight}``). The vector ``field`` is left out of the returned sources.
    """
    tokens = feature_weights(query_terms(query, model=model, vocab=vocab), "OpenSearch")
    return {"size": check_k(k), "query": {"neural_sparse": {field: {"query_tokens": tokens}}}, "_source": {"excludes": [field]}}


def rank_feature_query(
    query: QueryLike, *, model: Any = None, vocab: Sequence[str] | None = None, field: str = DEFAULT_FIELD, k: int = 10
) -> dict[str, Any]:
    """The search body of a bool ``should`` of linear ``rank_feature`` queries, one per query term (OpenSearch and
    Elasticsearch, any version with ``rank_features``): each scores ``query weight x document weight``."""
    tokens = feature_weights(query_terms(query, model=model, vocab=vocab), "rank_feature queries")
    should = [{"rank_feature": {"field": f"{field}.{name}", "linear": {}, "boost": weight}} for name, weight in tokens.items()]
    return {"size": check_k(k), "query": {"bool": {"should": should}}, "_source": {"excludes": [field]}}

