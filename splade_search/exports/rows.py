"""Reading an index's document vectors back, a batch of rows at a time, in bounded memory.

A csr index keeps its postings term-major (`indexes.csr.postings`: for each term, the documents that
hold it, ascending); `DocRanges` reads them back range by range (memory: a few arrays of vocabulary size
plus the batch's postings, whatever the index size). Weights come back dequantized (``stored / scale``
for integer indexes), as `SparseIndex.explain` reports them.

The Lucene backend keeps its vectors inside Lucene as integer impacts and is not read here: export
an index built with ``--backend csr``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

import scipy.sparse as sp

from ..errors import InputError
from ..indexes.csr.postings import DocRanges
from ..indexes.csr.quantization import restore

DEFAULT_BATCH_ROWS = 1024


class VectorBatch(NamedTuple):
    """Rows ``start .. start + len(ids)`` of an index: their ids and vectors (float32 CSR, sorted columns)."""

    start: int
    ids: list[str]
    vectors: sp.csr_matrix


def vector_batches(index: Any, batch_rows: int = DEFAULT_BATCH_ROWS) -> Iterator[VectorBatch]:
    """Every row of ``index`` (an opened `SparseIndex`) in row order, ``batch_rows`` rows per batch."""
    if not isinstance(batch_rows, int) or isinstance(batch_rows, bool) or batch_rows < 1:
        raise InputError(f"batch_rows must be a positive integer, got {batch_rows!r}")
    check_exportable(index)
    ranges = DocRanges(index.postings, len(index))
    for start in range(0, len(index), batch_rows):
        stop = min(start + batch_rows, len(index))
        stored = ranges.rows(start, stop)
        weights = restore(stored.data, index.quantization)
        vectors = sp.csr_matrix((weights, stored.indices, stored.indptr), shape=stored.shape)
        yield VectorBatch(start, index.doc_ids[start:stop], vectors)


def check_exportable(index: Any) -> None:
    """`InputError` unless `vector_batches` can read ``index`` (a csr index)."""
    if getattr(index, "postings", None) is None or getattr(index, "quantization", None) is None:
        backend = getattr(index, "backend", type(index).__name__)
        raise InputError(
            f"cannot export the {backend!r} index {getattr(index, 'path', '')}: exports read the vectors of csr "
            "indexes only (a Lucene index keeps them inside Lucene as integer impacts); build the index with "
            "--backend csr and export that"
        )
