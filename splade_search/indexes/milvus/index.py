"""The milvus backend: document vectors in a Milvus collection, ranked by Milvus (inner product, exact).

Where the collection lives:

- by default in **Milvus Lite**, an embedded Milvus whose database is the folder ``milvus.db/``
  inside each generation (see `generations`): listed and checksummed in the manifest like every
  other file. `add` and `delete` copy the live generation's database into the next generation and
  change the copy, so a reader keeps its snapshot; Milvus Lite serves a database to one process at
  a time (a second process searching it gets an error saying so);
- with ``uri="http://host:19530"`` on a **Milvus server** (standalone or cluster): the folder keeps
  everything else (manifest, ids, vocabulary, documents, fields, model) and records the URI and the
  collection's name, never the token (``SPLADE_MILVUS_TOKEN``). A build creates a new collection
  ``splade_<folder>_<8 hex>``; the one it replaces is dropped at the next write, so readers opened
  on it keep working until then. `add` and `delete` change the live collection in place: a reader
  opened before them skips added documents (their ids are unknown to its snapshot) but no longer
  finds deleted ones.

Opening reads the folder only; the first search, explain or `prepare` connects to Milvus and checks
the collection (its vocabulary, and with Milvus Lite its row count), so folder-only work (`add`,
`delete`, reading the model or the documents) runs while another process holds a Milvus Lite database.
The manifest's ``milvus`` entry: ``uri`` (``null`` for Milvus Lite), ``collection``, ``rows`` (rows
written), ``fields`` (stored metadata field -> collection field) and, on a server, ``retired``.
Scores are Milvus's inner products of the stored float32 weights (the csr backend's up to float
rounding), ranked by the shared rule (see `ranking`). Filters become Milvus expressions (see
`expressions`). Search mode ``"exact"`` only: Milvus Lite accepts no approximate setting
(``drop_ratio_search`` must be 0), so none could be measured here.
"""

from __future__ import annotations

import os
import threading
import weakref
from contextlib import suppress
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import BackendUnavailableError, IndexFormatError, InputError
from .. import edits, validation
from ..base import SparseIndex, TopK
from ..batches import Batch
from ..fields import FieldColumns, Records
from ..filters import Filter
from ..generations import check_writable, new_generation
from ..layout import check_metadata, check_vocab, write_index_files
from ..lock import WriteLock
from ..passage_map import PassageMap
from ..storage import MANIFEST_NAME
from . import collection, writing
from .connection import Connection, check_uri, pymilvus
from .expressions import filter_expression, id_expression
from .ranking import Ranking

SERVER_TOPK = 16_384  # the most hits a Milvus server ranks per query
_QUANTIZATION = {"dtype": "float32", "scale": None}
_RULES: dict[str, validation.Rule] = {
    "uri": (lambda v: v is None or isinstance(v, str), "null or a server URI"),
    "collection": (lambda v: isinstance(v, str) and bool(v), "a collection name"),
    "rows": (lambda v: validation.is_int(v) and v >= 0, "a non-negative integer"),  # type: ignore[operator]
    "fields": (lambda v: isinstance(v, dict) and all(isinstance(x, str) for x in v.values()), "an object of names"),
}


class MilvusIndex(SparseIndex):
    """Exact inner-product search in a Milvus collection (Milvus Lite in the folder, or a Milvus server)."""

    backend = "milvus"

    def __init__(self, root: Path, folder: Path, manifest: dict[str, Any], verify: bool = True) -> None:
        super().__init__(root, folder, manifest, verify)
        record, source = manifest.get("milvus"), folder / MANIFEST_NAME
        if not isinstance(record, dict):
            raise IndexFormatError(f"{source} lacks its 'milvus' entry; rebuild the index")
        validation.check_fields(record, _RULES, source)
        if record["fields"] != collection.scalar_names(self._fields):
            raise IndexFormatError(f"{source}: the 'milvus' fields do not match the stored metadata fields; rebuild the index")
        self._record = record
        self._numbers = {doc_id: number for number, doc_id in enumerate(self._doc_ids)}
        self._max_depth = max(record["rows"], 1) if record["uri"] is None else SERVER_TOPK
        self._connection: Connection | None = None  # connected on first use (see _client)
        self._closer: weakref.finalize | None = None
        self._connecting = threading.Lock()

    @classmethod
    def build(
        cls,
        path: str | os.PathLike[str],
        batches: Iterable[Batch],
        vocab: list[str],
        *,
        metadata: dict[str, Any] | None = None,
        documents: Iterable[tuple[str, str, str]] | None = None,
        show_progress: bool = True,
        model: Any = None,
        fields: Records | None = None,
        passages: PassageMap | None = None,
        force: bool = False,
        lock_timeout: float = 0.0,
        uri: str | None = None,
        token: str | None = None,
    ) -> MilvusIndex:
        """Index ``(doc_ids, vectors)`` batches at ``path``, published as a new generation of the index there.

        ``uri``: a Milvus server (``http://host:19530``) to hold the vectors instead of Milvus Lite in
        the folder; ``token``: its token (default ``$SPLADE_MILVUS_TOKEN``; never stored). Other
        arguments as in `SparseIndex.build`. Any error leaves the index at ``path`` as it was and
        drops the collection this call created.
        """
        pymilvus()
        vocab, metadata = check_vocab(vocab), check_metadata(metadata)
        uri = check_uri(uri) if uri is not None else None
        root = Path(path)
        check_writable(root, force, verify=False)  # verified under the lock
        with WriteLock(root, lock_timeout):
            server = Connection(uri=uri, token=token) if uri is not None else None
            try:
                live = writing.live_record(root, uri) if server else {}
                with new_generation(root, force=force) as tmp:
                    connection = server or Connection(database=tmp / writing.LITE_FOLDER)
                    name = writing.collection_name(root) if server else writing.LITE_COLLECTION
                    record, doc_ids, postings, columns = writing.fill(
                        connection, name, batches, vocab, fields, passages, show_progress
                    )
                    if server:
                        record["retired"] = [live["collection"]] if live else []
                    write_index_files(
                        tmp,
                        backend=cls.backend,
                        doc_ids=doc_ids,
                        vocab=vocab,
                        metadata=metadata,
                        num_postings=postings,
                        quantization=_QUANTIZATION,
                        backend_files=writing.lite_files(tmp),
                        documents=documents,
                        show_progress=show_progress,
                        model=model,
                        fields=columns,
                        passages=passages,
                        milvus=record,
                    )
                if server:
                    writing.drop(server, live.get("retired", []))
            finally:
                if server:
                    server.close()
        return cls.open(path, verify=False)

    @classmethod
    def add(
        cls,
        path: str | os.PathLike[str],
        batches: Iterable[Batch],
        *,
        documents: Iterable[tuple[str, str, str]] | None = None,
        fields: Records | None = None,
        show_progress: bool = True,
        lock_timeout: float = 0.0,
    ) -> MilvusIndex:
        """Append documents to the index at ``path`` (a new generation); see `SparseIndex.add`.

        New metadata fields, or a field whose type changes, are refused: the collection's schema is fixed.
        """
        with WriteLock(path, lock_timeout):
            index = cls.open(path)
            edits.check_editable(index)
            all_documents = edits.extended_documents(index, documents)
            new_ids, vectors = edits.added_rows(index, batches, show_progress)
            columns = edits.extended_fields(index, new_ids, fields)
            if collection.scalar_names(columns) != index._record["fields"] or _types(columns) != _types(index.fields):
                raise InputError(
                    f"the added documents' metadata fields ({', '.join(columns.names) if columns else 'none'}) differ in "
                    f"names or types from those of the index {path}; rebuild it with all documents"
                )
            numbers = np.arange(len(index), len(index) + len(new_ids))
            entries = list(collection.rows(new_ids, vectors, numbers, columns))
            change = writing.addition(entries, int(np.count_nonzero(vectors.data)), upsert=index.uri is not None)
            undo = [entry[collection.ID] for entry in entries]
            return cls._rewrite(index, change, index.doc_ids + new_ids, all_documents, columns, undo)

    @classmethod
    def delete(cls, path: str | os.PathLike[str], ids: Iterable[str], *, lock_timeout: float = 0.0) -> MilvusIndex:
        """Remove documents by id from the index at ``path`` (a new generation); see `SparseIndex.delete`."""
        with WriteLock(path, lock_timeout):
            index = cls.open(path)
            edits.check_editable(index)
            alive = edits.deleted_mask(index, ids)
            kept = [doc_id for doc_id, keep in zip(index.doc_ids, alive.tolist(), strict=True) if keep]
            doomed = [index.doc_ids[n] for n in np.flatnonzero(~alive).tolist()]
            documents, columns = edits.kept_documents(index, alive), edits.kept_fields(index, alive, kept)
            return cls._rewrite(index, writing.deletion(doomed), kept, documents, columns)

    @classmethod
    def check_available(cls) -> None:
        pymilvus()

    @property
    def uri(self) -> str | None:
        """The Milvus server holding the collection, or ``None`` for Milvus Lite inside the folder."""
        return self._record["uri"]

    @property
    def collection(self) -> str:
        """The name of the Milvus collection."""
        return self._record["collection"]

    def close(self) -> None:
        """Close the connection (the last index of a Milvus Lite database in this process stops its server);
        a later search connects again."""
        with self._connecting:
            if self._closer is not None:
                self._closer()
            self._connection = self._closer = None

    def _client(self) -> Any:
        """The Milvus client; the first call connects and checks the collection (vocabulary, rows)."""
        with self._connecting:
            if self._connection is None:
                lite = self.uri is None
                connection = writing.open_lite(self.folder) if lite else Connection(uri=check_uri(self._record["uri"]))
                try:
                    rows = self._record["rows"] if lite else None
                    collection.check(connection.client, self.collection, connection.where, self._vocab, rows)
                    connection.client.load_collection(self.collection)
                except BaseException:
                    connection.close()
                    raise
                self._connection, self._closer = connection, weakref.finalize(self, connection.close)
            return self._connection.client

    def __enter__(self) -> MilvusIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def prepare(self, mode: str = "exact", knobs: Any = None) -> None:
        """Check the search settings, connect, and warm Milvus up (Milvus Lite builds its posting lists on the
        first search)."""
        super().prepare(mode, knobs)
        self._top_k(np.zeros(1, np.int32), np.ones(1, np.float32), 1)

    def _scorer(self, mode: str, knobs: dict[str, Any]) -> TopK:
        return Ranking(self._client(), self.collection, self._numbers, self._max_depth)

    def _filtered(self, scorer: TopK, spec: Filter | None, allowed: np.ndarray | None) -> tuple[TopK, np.ndarray | None]:
        if spec is None:
            return scorer, allowed
        expression = filter_expression(spec, self._filterable_fields(), self._record["fields"])
        return scorer.where(expression), allowed  # type: ignore[attr-defined]

    def _restricted(self, mode: str, scorer: TopK, allowed: np.ndarray) -> TopK:
        if not allowed.any():
            return lambda terms, weights, k: (np.empty(0, np.int64), np.empty(0, np.float32))
        if allowed.all():
            return scorer
        negate = allowed.sum() > (~allowed).sum()  # list the fewer ids
        ids = [self._doc_ids[n] for n in np.flatnonzero(~allowed if negate else allowed).tolist()]
        return scorer.where(id_expression(collection.ID, ids, negate=negate))  # type: ignore[attr-defined]

    def _top_k(self, terms: np.ndarray, weights: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        return self._scorer("exact", {})(terms, weights, k)

    def _doc_weights(self, terms: np.ndarray, doc_number: int) -> np.ndarray:
        stored = collection.stored_vector(self._client(), self.collection, self._doc_ids[doc_number])
        return np.array([stored.get(term, 0.0) for term in terms.tolist()], dtype=np.float32)


    @classmethod
    def _rewrite(
        cls,
        index: MilvusIndex,
        change: writing.Change,
        doc_ids: list[str],
        documents: Iterable[tuple[str, str, str]] | None,
        fields: FieldColumns | None,
        undo: list[str] | None = None,
    ) -> MilvusIndex:
        """Publish the next generation of ``index`` with ``doc_ids``: its collection changed by ``change``
        (see `writing.changed`). On a server, a failure deletes the ``undo`` rows (this write's) again."""
        record = {key: value for key, value in index._record.items() if key != "retired"}
        server = Connection(uri=check_uri(index.uri)) if index.uri is not None else None
        try:
            with new_generation(index.path) as tmp:
                record["rows"], postings = writing.changed(server, index.folder, tmp, index.collection, change)
                write_index_files(
                    tmp,
                    backend=cls.backend,
                    doc_ids=doc_ids,
                    vocab=index.vocab,
                    metadata=index.metadata,
                    num_postings=index.manifest["num_postings"] + postings,
                    quantization=_QUANTIZATION,
                    backend_files=writing.lite_files(tmp),
                    documents=documents,
                    model=index.model_folder,
                    fields=fields,
                    milvus=record,
                )
            if server:
                writing.drop(server, index._record.get("retired", []))
        except BaseException:
            if undo and server:
                with suppress(BackendUnavailableError):  # a server gone meanwhile: the original error matters
                    server.client.delete(index.collection, ids=undo)
            raise
        finally:
            if server:
                server.close()
        return cls.open(index.path, verify=False)


def _types(fields: FieldColumns | None) -> dict[str, str]:
    return fields.schema() if fields is not None else {}
