"""The milvus backend: vectors in a Milvus collection, in Milvus Lite inside the index folder or on a Milvus server.

- `index`: `MilvusIndex` (build, open, add, delete, search, explain) and where its collection lives.
- `writing`: filling a new collection, changing a copy (Milvus Lite) or the live one (server).
- `collection`: the collection's schema and rows; the vocabulary check on open.
- `ranking`: Milvus's top-k re-ranked by the shared rule (ties, unknown ids).
- `expressions`: metadata filters and id sets as Milvus boolean expressions.
- `connection`: Milvus Lite databases shared in-process, servers reached fast or not at all.

Needs ``pip install 'splade-search[milvus]'`` (pymilvus, milvus-lite), imported when first used.
"""

from __future__ import annotations

from .index import MilvusIndex

__all__ = ["MilvusIndex"]
