"""Qdrant: a collection of sparse vectors (indices = column ids, values = weights) and the query that searches it.

Each row becomes a point whose id is a UUID derived from the row id (`point_id`: stable, so a
second export of the same document replaces it) and whose payload is the row's record (``id``,
stored ``title``/``text``/``metadata``, ``document_id`` for passages); its sparse vector is named
``field``. Qdrant scores the plain dot product (no IDF modifier), so its top-k equals the csr
index's exact search. Needs ``pip install 'splade-search[export]'`` (qdrant-client).
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import BackendUnavailableError, InputError
from .optional import import_extra
from .queries import DEFAULT_FIELD, QueryLike, query_terms
from .records import record_batches

_NAMESPACE = uuid.UUID("6f1c0b9e-2f4a-5d43-9a51-7b3e2c1d0a88")


def point_id(row_id: str) -> str:
    """The Qdrant point id of a row: a UUID (version 5) of its id."""
    return str(uuid.uuid5(_NAMESPACE, row_id))


def qdrant_query(query: QueryLike, *, model: Any = None, vocab: Sequence[str] | None = None) -> Any:
    """The ``qdrant_client.models.SparseVector`` of ``query`` (see `queries`), for ``query_points(query=..., using=field)``."""
    models = import_extra("qdrant_client.models")
    terms = query_terms(query, model=model, vocab=vocab)
    if terms.ids is None:
        raise InputError("a {token: weight} query needs vocab= (the index's vocabulary) to find its column ids")
    return models.SparseVector(indices=list(terms.ids), values=list(terms.weights))


def connect(*, path: str | None = None, url: str | None = None, api_key: str | None = None, timeout: float = 10.0) -> Any:
    """A ``QdrantClient`` on a local-mode folder (``path``) or a server (``url``), checked to answer."""
    client_class = import_extra("qdrant_client").QdrantClient
    if url is None:
        return client_class(path=path)
    client = client_class(url=url, api_key=api_key, timeout=int(timeout), check_compatibility=False)
    try:
        client.get_collections()
    except Exception as exc:  # the client raises transport errors of several libraries
        client.close()
        raise BackendUnavailableError(f"the Qdrant server at {url} does not answer ({type(exc).__name__}: {exc})") from None
    return client


def write_collection(
    client: Any,
    index: Any,
    collection: str,
    *,
    field: str = DEFAULT_FIELD,
    replace: bool = False,
    batch_rows: int,
    advance: Callable[[int], None],
) -> dict[str, Any]:
    """Create ``collection`` with the rows of ``index`` (``replace``: an existing collection is dropped first)."""
    models = import_extra("qdrant_client.models")
    if client.collection_exists(collection):
        if not replace:
            raise InputError(f"the Qdrant collection {collection!r} already exists; pass --force to replace it")
        client.delete_collection(collection)
    client.create_collection(
        collection, vectors_config={}, sparse_vectors_config={field: models.SparseVectorParams()}
    )
    _unsynced_local_writes(client, collection)
    documents = postings = 0
    for batch in record_batches(index, batch_rows):
        vectors = batch.vectors
        points = [
            models.PointStruct(
                id=point_id(record["id"]),
                vector={field: models.SparseVector(indices=vectors.indices[a:b].tolist(), values=vectors.data[a:b].tolist())},
                payload=record,
            )
            for record, a, b in zip(batch.records, vectors.indptr[:-1].tolist(), vectors.indptr[1:].tolist(), strict=True)
        ]
        client.upsert(collection, points=points, wait=True)
        documents += len(points)
        postings += vectors.nnz
        advance(len(points))
    return {"documents": documents, "postings": postings, "collection": collection}


def _unsynced_local_writes(client: Any, collection: str) -> None:
    """Stop a local-mode client from syncing SQLite to disk after every point (13 ms each, 60x the rest).

    Local mode commits each point in its own transaction; an export writes into a staging folder that
    is synced once when complete (`output.staged_folder`), so per-point syncs buy nothing. The client
    offers no setting for it: its connection is reached where this qdrant-client version keeps it, and
    left alone (slower, still correct) where it does not.
    """
    local = getattr(getattr(client, "_client", None), "collections", None)
    storage = getattr(local.get(collection), "storage", None) if isinstance(local, dict) else None
    connection = getattr(storage, "storage", None)
    if isinstance(connection, sqlite3.Connection):
        connection.execute("PRAGMA synchronous=OFF")
