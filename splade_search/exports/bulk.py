"""The export shared by Elasticsearch and OpenSearch: an index mapping and bulk NDJSON files.

The folder holds ``mapping.json`` (the body of ``PUT /<index>``), ``bulk-00000.ndjson``,
``bulk-00001.ndjson``… (each the body of one ``POST /<index>/_bulk``, about `BULK_FILE_BYTES` at
most, whole documents only) and ``export.json`` (what was exported, with the token escaping). Each
document is an action line ``{"index": {"_id": <row id>}}`` and a source line with ``id``, the
stored ``title``/``text``/``metadata`` (and ``document_id`` for passages) and the vector field, a
JSON object of escaped token names (`tokens.escape_token`) -> weight. The engines keep only
positive weights: a negative one raises `InputError` naming the document.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..indexes.storage import write_json
from .records import json_rows, record_batches, stored_schema
from .tokens import feature_names

BULK_FILE_BYTES = 10 * 2**20
MAX_ID_BYTES = 512  # Elasticsearch and OpenSearch refuse longer _id values
MIN_WEIGHT = float(np.finfo(np.float32).tiny)  # Lucene's FeatureField takes positive normal floats only
_METADATA_TYPES = {"int": "long", "float": "double", "bool": "boolean", "string": "keyword", "strings": "keyword"}


def mapping(index: Any, field: str, field_type: str) -> dict[str, Any]:
    """The index mapping: keyword ids, text title/text, typed metadata and the ``field_type`` vector ``field``."""
    schema = stored_schema(index)
    properties: dict[str, Any] = {"id": {"type": "keyword"}}
    if schema["document_id"]:
        properties["document_id"] = {"type": "keyword"}
    if schema["documents"]:
        properties["title"] = {"type": "text"}
        properties["text"] = {"type": "text"}
    if schema["metadata"] is not None:
        fields = {name: {"type": _METADATA_TYPES[kind]} for name, kind in schema["metadata"].items()}
        properties["metadata"] = {"properties": fields}
    properties[field] = {"type": field_type}
    return {"mappings": {"properties": properties}}


def write_bulk_export(
    index: Any, folder: Path, *, field: str, field_type: str, batch_rows: int, advance: Callable[[int], None]
) -> dict[str, Any]:
    """Write ``mapping.json`` and the bulk files of ``index`` into ``folder``; returns counts and file names."""
    check_field_name(field)
    write_json(folder / "mapping.json", mapping(index, field, field_type))
    names = [json.dumps(name, ensure_ascii=False) for name in feature_names(index.vocab)]
    writer = _BulkFiles(folder)
    documents = postings = 0
    try:
        for batch in record_batches(index, batch_rows):
            _check_weights(batch.records, batch.vectors)
            for record, source in zip(batch.records, json_rows(batch, names, field), strict=True):
                action = json.dumps({"index": {"_id": _checked_id(record["id"])}}, ensure_ascii=False)
                writer.write(f"{action}\n{source}\n")
            documents += len(batch.records)
            postings += batch.vectors.nnz
            advance(len(batch.records))
    finally:
        writer.close()
    return {"documents": documents, "postings": postings, "files": ["mapping.json", *writer.names]}


def check_field_name(field: str) -> None:
    """`InputError` unless ``field`` can name the vector field (a plain top-level name, not a stored key)."""
    if not field or "." in field or field.startswith("_") or field in ("id", "document_id", "title", "text", "metadata"):
        raise InputError(
            f"the vector field name {field!r} must be non-empty, without '.', not start with '_' and not be "
            "id, document_id, title, text or metadata"
        )


def _checked_id(row_id: str) -> str:
    if len(row_id.encode("utf-8")) > MAX_ID_BYTES:
        raise InputError(f"document id {row_id[:60]!r}... is longer than the {MAX_ID_BYTES} bytes an _id may hold")
    return row_id


def _check_weights(records: list[dict[str, Any]], vectors: Any) -> None:
    if not vectors.nnz or vectors.data.min() >= MIN_WEIGHT:
        return
    position = int(np.argmax(vectors.data < MIN_WEIGHT))
    row = int(np.searchsorted(vectors.indptr, position, side="right")) - 1
    raise InputError(
        f"document {records[row]['id']!r} has the weight {vectors.data[position]:.3g}; Elasticsearch and OpenSearch "
        "keep positive weights only (at least 1.2e-38); export it with --to jsonl, parquet or qdrant"
    )


class _BulkFiles:
    """Numbered NDJSON files, a new one started once the current one reaches `BULK_FILE_BYTES`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.names: list[str] = []
        self._file: Any = None
        self._bytes = 0

    def write(self, lines: str) -> None:
        data = lines.encode("utf-8")
        if self._file is None or self._bytes + len(data) > BULK_FILE_BYTES and self._bytes:
            self.close()
            self.names.append(f"bulk-{len(self.names):05d}.ndjson")
            self._file = open(self.folder / self.names[-1], "wb")
            self._bytes = 0
        self._file.write(data)
        self._bytes += len(data)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
