"""Parquet: one row per index row, the vector as ``list<struct<token: string, weight: float>>``.

Columns: ``id`` (string), ``document_id`` (string, indexes built with passages), ``title`` and ``text``
(strings, when documents are stored), ``metadata`` (a struct of the stored fields, typed: int64,
double, bool, string, list<string>), and ``vector``, the row's terms in column-id order with their
float32 weights (tokens as they are in the vocabulary). One row group per batch, so memory stays
bounded. Needs ``pip install 'splade-search[export]'`` (pyarrow).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .optional import import_extra
from .records import RecordBatch, record_batches, stored_schema
from .tokens import check_unique_tokens

VECTOR_COLUMN = "vector"


def arrow_schema(index: Any) -> Any:
    """The ``pyarrow.Schema`` of an export of ``index``."""
    pa = import_extra("pyarrow")
    stored = stored_schema(index)
    kinds = {"int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(), "string": pa.string(), "strings": pa.list_(pa.string())}
    fields = [pa.field("id", pa.string(), nullable=False)]
    if stored["document_id"]:
        fields.append(pa.field("document_id", pa.string()))
    if stored["documents"]:
        fields += [pa.field("title", pa.string()), pa.field("text", pa.string())]
    if stored["metadata"] is not None:
        fields.append(pa.field("metadata", pa.struct([pa.field(n, kinds[k]) for n, k in stored["metadata"].items()])))
    term = pa.struct([pa.field("token", pa.string(), nullable=False), pa.field("weight", pa.float32(), nullable=False)])
    fields.append(pa.field(VECTOR_COLUMN, pa.list_(term), nullable=False))
    return pa.schema(fields)


def write_parquet(index: Any, path: Path, *, batch_rows: int, advance: Callable[[int], None]) -> dict[str, Any]:
    """Write every row of ``index`` to the parquet file ``path`` (a new file; the caller stages it)."""
    pa = import_extra("pyarrow")
    parquet = import_extra("pyarrow.parquet")
    check_unique_tokens(index.vocab)
    schema = arrow_schema(index)
    tokens = pa.array(index.vocab, pa.string())
    documents = postings = 0
    with parquet.ParquetWriter(path, schema) as writer:
        for batch in record_batches(index, batch_rows):
            writer.write_table(_table(pa, schema, tokens, batch))
            documents += len(batch.records)
            postings += batch.vectors.nnz
            advance(len(batch.records))
    return {"documents": documents, "postings": postings}


def _table(pa: Any, schema: Any, tokens: Any, batch: RecordBatch) -> Any:
    vectors = batch.vectors
    terms = pa.StructArray.from_arrays(
        [tokens.take(pa.array(vectors.indices.astype(np.int64))), pa.array(vectors.data, pa.float32())],
        fields=list(schema.field(VECTOR_COLUMN).type.value_type),
    )
    columns = {
        name: pa.array([record.get(name) for record in batch.records], schema.field(name).type)
        for name in schema.names
        if name != VECTOR_COLUMN
    }
    offsets = pa.array(vectors.indptr.astype(np.int32), pa.int32())
    columns[VECTOR_COLUMN] = pa.ListArray.from_arrays(offsets, terms, type=schema.field(VECTOR_COLUMN).type)
    return pa.table([columns[name] for name in schema.names], schema=schema)
