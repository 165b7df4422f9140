"""What an export writes per row besides its vector: the stored title, text and metadata of an index.

For each row: ``id`` (the row id), and when the index has them ``title`` and ``text`` (stored
documents), ``metadata`` (stored fields, flat names as indexed) and, in an index built with passages,
``document_id`` (the row is a passage of that document; its ``text`` is the passage's own span).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

import scipy.sparse as sp

from .rows import DEFAULT_BATCH_ROWS, vector_batches


class RecordBatch(NamedTuple):
    """Consecutive rows: each one's record (``id`` first, then what the index stores) and its vector."""

    records: list[dict[str, Any]]
    vectors: sp.csr_matrix


def record_batches(index: Any, batch_rows: int = DEFAULT_BATCH_ROWS) -> Iterator[RecordBatch]:
    """Every row of the opened ``index`` with its stored data, ``batch_rows`` rows per batch."""
    passages, documents, fields = index.passages, index.documents, index.fields
    for batch in vector_batches(index, batch_rows):
        records = []
        for row, row_id in enumerate(batch.ids, start=batch.start):
            record: dict[str, Any] = {"id": row_id}
            document = int(passages.parents[row]) if passages is not None else row
            if passages is not None:
                record["document_id"] = passages.document_ids[document]
            if documents is not None:
                stored = documents[document]
                start, end = (int(x) for x in passages.spans[row]) if passages is not None else (0, len(stored.text))
                record["title"], record["text"] = stored.title, stored.text[start:end]
            if fields is not None:
                record["metadata"] = fields.record(document)
            records.append(record)
        yield RecordBatch(records, batch.vectors)


def stored_schema(index: Any) -> dict[str, Any]:
    """Which record keys the index fills: ``{"document_id": bool, "documents": bool, "metadata": {name: type}}``."""
    return {
        "document_id": index.passages is not None,
        "documents": index.documents is not None,
        "metadata": index.fields.schema() if index.fields is not None else None,
    }


def json_rows(batch: RecordBatch, keys: Sequence[str], vector_key: str) -> list[str]:
    """Each row of ``batch`` as one JSON object: its record, then its vector under ``vector_key`` as ``{key: weight}``.

    ``keys``: the JSON-encoded key of each column. Weights are written in the shortest decimal form that
    reads back as the same float32.
    """
    vectors = batch.vectors
    values = vectors.data.astype(str).tolist()
    columns, bounds = vectors.indices.tolist(), vectors.indptr.tolist()
    vector_json = json.dumps(vector_key)
    rows = []
    for row, record in enumerate(batch.records):
        span = slice(bounds[row], bounds[row + 1])
        pairs = ", ".join(f"{keys[c]}: {v}" for c, v in zip(columns[span], values[span]))
        rows.append(f"{json.dumps(record, ensure_ascii=False)[:-1]}, {vector_json}: {{{pairs}}}}}")
    return rows
