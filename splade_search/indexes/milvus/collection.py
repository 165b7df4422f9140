"""The Milvus collection behind an index: its schema, the rows written into it, and the checks on open.

Fields: ``id`` (VARCHAR primary key: the row's id), ``v`` (SPARSE_FLOAT_VECTOR: column id -> weight,
indexed with SPARSE_INVERTED_INDEX, metric IP, algorithm DAAT_MAXSCORE) and one nullable scalar
field ``m<i>`` per stored metadata field (the i-th in name order): int -> INT64, float -> DOUBLE,
bool -> BOOL, string -> VARCHAR, list of strings -> ARRAY of VARCHAR. Rows of an index built with
passages carry their document's metadata. The collection's properties record the vocabulary (size
and SHA-256), so an index folder and a collection of another model's vocabulary are never paired.

Milvus stores non-negative weights only, and a row needs at least one term: a document without any
(nothing to match) is kept in the index folder but not written to the collection.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from ...errors import IndexFormatError, IndexMismatchError, InputError
from ..fields import FieldColumns

ID, VECTOR = "id", "v"
INDEX_PARAMS = {"inverted_index_algo": "DAAT_MAXSCORE"}
_VOCAB_SIZE, _VOCAB_SHA = "splade_search.vocab_size", "splade_search.vocab_sha256"
_MAX_VARCHAR = 65_535  # bytes, Milvus's limit
_MAX_ITEMS = 4_096  # Milvus's largest array capacity
_INSERT_ROWS = 1_000
_TYPES = {"int": "INT64", "float": "DOUBLE", "bool": "BOOL", "string": "VARCHAR", "strings": "ARRAY"}


def vocab_digest(vocab: Sequence[str]) -> str:
    """The SHA-256 of a vocabulary (token strings in column order)."""
    return hashlib.sha256(json.dumps(list(vocab), ensure_ascii=False).encode("utf-8")).hexdigest()


def scalar_names(fields: FieldColumns | None) -> dict[str, str]:
    """Stored metadata field -> Milvus field name (``m<i>``, Milvus names allow no dots or spaces)."""
    return {name: f"m{number}" for number, name in enumerate(fields.names)} if fields is not None else {}


def create(client: Any, name: str, vocab: Sequence[str], fields: FieldColumns | None) -> None:
    """Create the collection ``name`` with its sparse index (consistency "Strong": a search sees every finished write)."""
    from pymilvus import DataType

    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field(ID, DataType.VARCHAR, is_primary=True, max_length=_MAX_VARCHAR)
    schema.add_field(VECTOR, DataType.SPARSE_FLOAT_VECTOR)
    for stored, field in scalar_names(fields).items():
        kind = fields[stored].type  # type: ignore[index]
        options: dict[str, Any] = {"nullable": True}
        if kind in ("string", "strings"):
            options["max_length"] = _MAX_VARCHAR
        if kind == "strings":
            options |= {"element_type": DataType.VARCHAR, "max_capacity": _MAX_ITEMS}
        schema.add_field(field, getattr(DataType, _TYPES[kind]), **options)
    index_params = client.prepare_index_params()
    index_params.add_index(VECTOR, index_type="SPARSE_INVERTED_INDEX", metric_type="IP", params=INDEX_PARAMS)
    properties = {_VOCAB_SIZE: str(len(vocab)), _VOCAB_SHA: vocab_digest(vocab)}
    client.create_collection(name, schema=schema, index_params=index_params, consistency_level="Strong", properties=properties)


def rows(
    ids: Sequence[str], vectors: sp.csr_matrix, documents: np.ndarray, fields: FieldColumns | None
) -> Iterator[dict[str, Any]]:
    """Collection rows for ``ids`` with their ``vectors``; ``documents``: each row's document number (its metadata).

    Rows without terms are skipped; `InputError` for a negative weight, an id or value beyond Milvus's limits.
    """
    if vectors.nnz and vectors.data.min() < 0:
        raise InputError("the milvus backend stores non-negative weights only; use the csr backend for negative ones")
    names = scalar_names(fields)
    for row, doc_id in enumerate(ids):
        start, end = vectors.indptr[row], vectors.indptr[row + 1]
        terms, weights = vectors.indices[start:end], vectors.data[start:end]
        present = weights != 0
        if not present.any():
            continue
        _check_length(doc_id, "document id", doc_id)
        entry: dict[str, Any] = {ID: doc_id, VECTOR: dict(zip(terms[present].tolist(), weights[present].tolist()))}
        if fields is not None:
            values = fields.record(int(documents[row]))
            for stored, field in names.items():
                entry[field] = _checked(doc_id, stored, values.get(stored))
        yield entry


def write(client: Any, name: str, entries: Iterable[dict[str, Any]], *, upsert: bool = False) -> int:
    """Insert (or upsert) ``entries`` in chunks; returns how many were written."""
    send = client.upsert if upsert else client.insert
    written, chunk = 0, []
    for entry in entries:
        chunk.append(entry)
        if len(chunk) == _INSERT_ROWS:
            send(name, chunk)
            written, chunk = written + len(chunk), []
    if chunk:
        send(name, chunk)
        written += len(chunk)
    return written


def check(client: Any, name: str, where: str, vocab: Sequence[str], rows_expected: int | None) -> None:
    """Raise unless collection ``name`` exists, holds vectors of ``vocab`` and (when given) ``rows_expected`` rows."""
    if not client.has_collection(name):
        raise IndexFormatError(f"the Milvus collection {name!r} is missing from {where}; rebuild the index")
    properties = client.describe_collection(name).get("properties") or {}
    size, digest = properties.get(_VOCAB_SIZE), properties.get(_VOCAB_SHA)
    if size is None or digest is None:
        raise IndexMismatchError(f"the Milvus collection {name!r} at {where} was not written by splade-search; rebuild the index")
    if digest != vocab_digest(vocab):
        raise IndexMismatchError(
            f"the Milvus collection {name!r} at {where} holds vectors of another model's vocabulary ({size} tokens) "
            f"than this index folder ({len(vocab)} tokens); rebuild the index with one model"
        )
    if rows_expected is not None:
        found = int(client.get_collection_stats(name).get("row_count", -1))
        if found != rows_expected:
            raise IndexFormatError(f"the Milvus collection {name!r} at {where} holds {found} rows, the index {rows_expected}; rebuild it")


def stored_vector(client: Any, name: str, doc_id: str) -> Mapping[int, float]:
    """The stored sparse vector of row ``doc_id`` (empty when the row has none)."""
    found = client.get(name, ids=[doc_id], output_fields=[VECTOR])
    return {int(term): float(weight) for term, weight in (found[0][VECTOR] if found else {}).items()}


def _checked(doc_id: str, field: str, value: Any) -> Any:
    if isinstance(value, str):
        _check_length(doc_id, f"metadata field {field!r}", value)
    elif isinstance(value, list):
        if len(value) > _MAX_ITEMS:
            raise InputError(f"document {doc_id!r}: metadata field {field!r} lists {len(value)} strings; Milvus keeps {_MAX_ITEMS}")
        for item in value:
            _check_length(doc_id, f"metadata field {field!r}", item)
    return value


def _check_length(doc_id: str, what: str, text: str) -> None:
    if len(text.encode("utf-8")) > _MAX_VARCHAR:
        raise InputError(f"document {doc_id[:80]!r}: {what} is longer than the {_MAX_VARCHAR} bytes Milvus stores")
