"""`export_index`: write an index's rows (vectors, ids, stored documents and metadata) for another engine.

Formats (`FORMATS`): ``opensearch`` and ``elasticsearch`` (a folder of ``mapping.json`` and bulk
NDJSON files, see `bulk`), ``qdrant`` (a local-mode folder, or a collection on a server with
``url``), ``jsonl`` and ``parquet`` (one file). Nothing appears at ``out`` until the export is
complete; an existing ``out`` is replaced only with ``force`` (see `output`). On a Qdrant server the
collection is written in place (``force`` drops an existing one first); a failed export leaves it partial.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..progress import progress_bar
from . import bulk, elasticsearch, jsonl, opensearch, parquet, qdrant
from .output import check_target, staged_file, staged_folder
from .queries import DEFAULT_FIELD
from .rows import DEFAULT_BATCH_ROWS, check_exportable
from .tokens import ESCAPING

FORMATS = ("opensearch", "elasticsearch", "qdrant", "jsonl", "parquet")
_FOLDERS = ("opensearch", "elasticsearch", "qdrant")
_BULK_TYPES = {"opensearch": opensearch.FIELD_TYPE, "elasticsearch": elasticsearch.FIELD_TYPE}


def export_index(
    index: Any,
    to: str,
    out: str | os.PathLike[str] | None = None,
    *,
    url: str | None = None,
    api_key: str | None = None,
    collection: str | None = None,
    field: str = DEFAULT_FIELD,
    force: bool = False,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    show_progress: bool = True,
) -> dict[str, Any]:
    """Export ``index`` (an opened `SparseIndex` or its path) in format ``to`` to ``out``; returns a summary.

    ``url``/``api_key``: with ``to="qdrant"``, write to that Qdrant server instead of a local folder
    ``out``; ``collection``: the Qdrant collection (default: the index folder's name). ``field``: the
    vector field (Elasticsearch/OpenSearch) or sparse vector name (Qdrant). ``force``: replace an
    existing ``out`` (only an export folder, for folder formats) or Qdrant collection.
    """
    target = _check_destination(to, out, url, force)
    if isinstance(index, (str, os.PathLike)):
        from ..indexes import SparseIndex

        index = SparseIndex.open(index)
    check_exportable(index)
    bulk.check_field_name(field)
    server = qdrant.connect(url=url, api_key=api_key) if url is not None else None  # fail fast, before any work
    started = time.perf_counter()
    summary: dict[str, Any] = {"index": str(index.path), "to": to}
    try:
        with progress_bar(f"exporting to {to}", total=len(index), enabled=show_progress) as advance:
            options = {"batch_rows": batch_rows, "advance": advance}
            if to == "qdrant":
                name = collection or Path(index.path).name
                summary.update(_to_qdrant(index, target, server, name, field, force, options))
            elif to in _BULK_TYPES:
                with staged_folder(target, force, _marker(index, to, field)) as folder:  # type: ignore[arg-type]
                    summary.update(bulk.write_bulk_export(index, folder, field=field, field_type=_BULK_TYPES[to], **options))
            elif to == "jsonl":
                summary.update(jsonl.write_jsonl(index, target, **options))  # type: ignore[arg-type]
            else:
                with staged_file(target, force) as staging:  # type: ignore[arg-type]
                    summary.update(parquet.write_parquet(index, staging, **options))
    finally:
        if server is not None:
            server.close()
    if target is not None:
        summary["out"] = str(target)
    if url is not None:
        summary["url"] = url
    summary["seconds"] = round(time.perf_counter() - started, 3)
    return summary


def _check_destination(to: str, out: Any, url: str | None, force: bool) -> Path | None:
    """The checked output path (``None`` for a Qdrant server); `InputError` for a bad combination."""
    if to not in FORMATS:
        raise InputError(f"unknown export format {to!r}; choose one of {', '.join(FORMATS)}")
    if url is not None and to != "qdrant":
        raise InputError(f"--url writes to a Qdrant server; --to {to} writes files under --out")
    if url is not None and out is not None:
        raise InputError("give either --out (a Qdrant local-mode folder) or --url (a Qdrant server), not both")
    if url is not None:
        return None
    if out is None:
        raise InputError(f"--to {to} needs --out PATH" + (" (or --url for a Qdrant server)" if to == "qdrant" else ""))
    target = Path(out)
    check_target(target, force, folder=to in _FOLDERS)
    return target


def _to_qdrant(
    index: Any, target: Path | None, server: Any, name: str, field: str, force: bool, options: dict[str, Any]
) -> dict[str, Any]:
    """Write the collection ``name`` on the connected ``server``, or in a new local-mode folder ``target``."""
    if server is not None:
        return qdrant.write_collection(server, index, name, field=field, replace=force, **options)
    with staged_folder(target, force, _marker(index, "qdrant", field) | {"collection": name}) as folder:  # type: ignore[arg-type]
        client = qdrant.connect(path=str(folder))
        try:
            return qdrant.write_collection(client, index, name, field=field, **options)
        finally:
            client.close()


def _marker(index: Any, to: str, field: str) -> dict[str, Any]:
    """What `output.MARKER_FILE` records about an export folder."""
    marker = {"to": to, "index": str(index.path), "documents": len(index), "field": field}
    if to in _BULK_TYPES:
        marker["token_names"] = ESCAPING
        marker["load"] = ["PUT /<index> with mapping.json", "POST /<index>/_bulk with each bulk-*.ndjson file, in order"]
    return marker
