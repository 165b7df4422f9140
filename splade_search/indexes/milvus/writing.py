"""How a milvus index writes its collection: fill a new one from batches, change a copy or the live one,
and drop the collections of replaced generations (see `index` for what each write publishes)."""

from __future__ import annotations

import re
import secrets
import shutil
from contextlib import suppress
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import BackendUnavailableError, IndexFormatError, InputError
from ...progress import progress_note
from ..batches import Batch, read_batches
from ..fields import FieldColumns, Records, field_columns
from ..generations import current_folder
from ..passage_map import PassageMap
from ..storage import MANIFEST_NAME, read_json
from . import collection
from .connection import Connection

LITE_FOLDER = "milvus.db"  # the Milvus Lite database inside a generation
LITE_COLLECTION = "splade"
_LITE_LOCK = "LOCK"  # Milvus Lite's lock file: not data, never listed or copied
_CHUNK = 1_000  # ids per get or delete call
Change = Callable[[Any, str], int]  # (client, collection name) -> change in the number of postings


def fill(
    connection: Connection,
    name: str,
    batches: Iterable[Batch],
    vocab: list[str],
    fields: Records | None,
    passages: PassageMap | None,
    show_progress: bool,
) -> tuple[dict[str, Any], list[str], int, FieldColumns | None]:
    """Create collection ``name`` and write the batches into it (dropped again on failure on a server).

    Returns the manifest's ``milvus`` entry, the row ids, the posting count and the metadata columns.
    A Milvus Lite connection is closed on return: its files are final before the manifest seals them.
    """
    client = connection.client
    documents = passages.document_ids if passages is not None else None
    columns = fields if fields is None or isinstance(fields, FieldColumns) else FieldColumns.from_records(list(fields), documents)
    try:
        collection.create(client, name, vocab, columns)
        doc_ids: list[str] = []
        written = postings = 0
        for ids, vectors in read_batches(batches, len(vocab), show_progress):
            rows = np.arange(len(doc_ids), len(doc_ids) + len(ids))
            if passages is not None and len(rows) and rows[-1] >= len(passages.parents):
                raise InputError(f"the passage map covers {len(passages.parents)} rows, the index has more")
            owners = passages.parents[rows] if passages is not None else rows
            written += collection.write(client, name, collection.rows(ids, vectors, owners, columns))
            postings += int(np.count_nonzero(vectors.data))
            doc_ids += ids
        columns = field_columns(columns, documents if documents is not None else doc_ids)
        progress_note(f"flushing {written:,} rows into Milvus ({connection.uri or 'Milvus Lite'})", show_progress)
        client.flush(name)
    except BaseException:
        if not connection.is_lite:
            with suppress(BackendUnavailableError):  # a server gone meanwhile: the original error matters
                drop(connection, [name])
        raise
    finally:
        if connection.is_lite:
            connection.close()
    record = {"uri": connection.uri, "collection": name, "rows": written, "fields": collection.scalar_names(columns)}
    return record, doc_ids, postings, columns


def changed(server: Connection | None, live_folder: Path, folder: Path, name: str, change: Change) -> tuple[int, int]:
    """Apply ``change`` to collection ``name``: on a ``server``, to the live collection; with Milvus Lite, to a
    copy of the live generation's database made in ``folder``. Returns the rows after it and its postings change."""
    if server is not None:
        return _apply(server.client, name, change)
    shutil.copytree(live_folder / LITE_FOLDER, folder / LITE_FOLDER, ignore=shutil.ignore_patterns(_LITE_LOCK))
    copy = Connection(database=folder / LITE_FOLDER)
    try:
        return _apply(copy.client, name, change)
    finally:
        copy.close()


def addition(entries: list[dict[str, Any]], postings: int, *, upsert: bool) -> Change:
    """The change that writes rows ``entries`` (holding ``postings`` weights); ``upsert`` replaces rows a failed
    write may have left on a server."""

    def add(client: Any, name: str) -> int:
        collection.write(client, name, entries, upsert=upsert)
        return postings

    return add


def deletion(ids: list[str]) -> Change:
    """The change that deletes rows ``ids`` (counting the weights they held)."""

    def delete(client: Any, name: str) -> int:
        removed = 0
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            removed += sum(len(row[collection.VECTOR]) for row in client.get(name, ids=chunk, output_fields=[collection.VECTOR]))
            client.delete(name, ids=chunk)
        return -removed

    return delete


def _apply(client: Any, name: str, change: Change) -> tuple[int, int]:
    client.load_collection(name)
    postings = change(client, name)
    client.flush(name)
    return int(client.get_collection_stats(name).get("row_count", 0)), postings


def lite_files(folder: Path) -> list[str]:
    """The files of the Milvus Lite database in generation ``folder`` (none without one), relative to it."""
    database = folder / LITE_FOLDER
    if not database.is_dir():
        return []
    return [p.relative_to(folder).as_posix() for p in sorted(database.rglob("*")) if p.is_file() and p.name != _LITE_LOCK]


def open_lite(folder: Path) -> Connection:
    """A connection to the Milvus Lite database of generation ``folder``; `IndexFormatError` when it has none."""
    database = folder / LITE_FOLDER
    if database.is_symlink() or not (database / "collections").is_dir():
        raise IndexFormatError(f"{database} is missing or holds no Milvus Lite collections; rebuild the index")
    return Connection(database=database)


def live_record(root: Path, uri: str | None) -> dict[str, Any]:
    """The ``milvus`` entry of the live generation at ``root`` when its collection is on server ``uri``, else ``{}``."""
    try:
        manifest = read_json(current_folder(root) / MANIFEST_NAME)
    except IndexFormatError:
        return {}
    record = manifest.get("milvus") if isinstance(manifest, dict) and manifest.get("backend") == "milvus" else None
    return record if isinstance(record, dict) and record.get("uri") == uri else {}


def collection_name(root: Path) -> str:
    """A new collection name for the index at ``root`` on a server: ``splade_<folder>_<8 hex>``."""
    slug = re.sub(r"[^A-Za-z0-9_]", "_", root.resolve().name)[:40]
    return f"splade_{slug}_{secrets.token_hex(4)}"


def drop(server: Connection, names: Iterable[Any]) -> None:
    """Drop collections this package created (a failed build's, replaced generations'); one already gone is fine."""
    for name in names:
        if isinstance(name, str) and server.client.has_collection(name):
            server.client.drop_collection(name)
