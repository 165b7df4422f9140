"""Exports of an index to the engines people already run, and the query builders that search them.

- `export_index` writes an index's rows for OpenSearch, Elasticsearch, Qdrant, JSON Lines or
  parquet (``splade-search export``); `vector_batches` / `record_batches` read the rows themselves in
  bounded memory.
- Query builders turn an encoded query into an engine's request: `opensearch_query` (``neural_sparse``),
  `rank_feature_query` (OpenSearch and Elasticsearch), `elasticsearch_query` (``sparse_vector``) and
  `qdrant_query` (a ``SparseVector``). Each takes a text with ``model=``, a sparse vector with ``vocab=``
  or a ``{token: weight}`` mapping (see `queries`).
- Token names in Elasticsearch/OpenSearch documents and queries are spelled by `escape_token`
  (reversed by `unescape_token`), so every vocabulary token is a legal feature name.

qdrant-client and pyarrow are imported only when used (``pip install 'splade-search[export]'``).
"""

from __future__ import annotations

from .elasticsearch import elasticsearch_query
from .export import FORMATS, export_index
from .opensearch import opensearch_query, rank_feature_query
from .qdrant import point_id, qdrant_query
from .queries import QueryTerms, query_terms
from .records import RecordBatch, record_batches
from .rows import VectorBatch, vector_batches
from .tokens import escape_token, is_legal_name, unescape_token

__all__ = [
    "FORMATS",
    "QueryTerms",
    "RecordBatch",
    "VectorBatch",
    "elasticsearch_query",
    "escape_token",
    "export_index",
    "is_legal_name",
    "opensearch_query",
    "point_id",
    "qdrant_query",
    "query_terms",
    "rank_feature_query",
    "record_batches",
    "unescape_token",
    "vector_batches",
]
