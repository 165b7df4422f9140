"""Writing sparse vectors as an Anserini JsonVectorCollection, the input of a Lucene impact index.

Each document becomes one line ``{"id": ..., "contents": "", "vector": {term: int}}`` where
``int = round(weight x scale)`` (never clipped; weights that round to 0 are left out, as are
negative weights, which Lucene impacts cannot hold: they raise `InputError`).

Terms are spelled as their vocabulary tokens, except tokens Lucene's pretokenized (whitespace)
analyzer would alter: empty tokens, tokens containing whitespace or longer than 255 characters, and
repeats of an earlier token. Those are spelled ``[[term:<column id>]]`` (prefixed with ``_`` until
unique), so every column maps to exactly one Lucene term. `lucene_terms` is deterministic and is
recomputed from the vocabulary when an index is opened.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from contextlib import ExitStack
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ...errors import InputError

MAX_TOKEN_CHARS = 255


def lucene_terms(vocab: Sequence[str]) -> list[str]:
    """The Lucene term of each column id of ``vocab``."""
    terms: list[str | None] = []
    taken: set[str] = set()
    for token in vocab:
        usable = token and len(token) <= MAX_TOKEN_CHARS and not any(c.isspace() for c in token) and token not in taken
        terms.append(token if usable else None)
        if usable:
            taken.add(token)
    for column, term in enumerate(terms):
        if term is None:
            escaped = f"[[term:{column}]]"
            while escaped in taken:
                escaped = "_" + escaped
            terms[column] = escaped
            taken.add(escaped)
    return [term for term in terms if term is not None]


def impacts(weights: np.ndarray, scale: float) -> np.ndarray:
    """Integer impacts ``round(weight x scale)`` (int64, never clipped)."""
    return np.rint(weights.astype(np.float64) * scale).astype(np.int64)


def write_collection(
    folder: Path, batches: Iterable[tuple[list[str], sp.csr_matrix]], terms: Sequence[str], scale: float, n_files: int
) -> tuple[list[str], int]:
    """Write validated batches into ``n_files`` JSONL files (Anserini indexes one file per thread).

    Returns the document ids in order and the number of postings written.
    """
    folder.mkdir(parents=True, exist_ok=True)
    json_terms = [json.dumps(term) for term in terms]
    doc_ids: list[str] = []
    postings = 0
    with ExitStack() as stack:
        files = [
            stack.enter_context(open(folder / f"part-{i:03d}.jsonl", "w", encoding="utf-8")) for i in range(n_files)
        ]
        for number, (ids, rows) in enumerate(batches):
            lines, count = _collection_lines(ids, rows, json_terms, scale)
            files[number % n_files].writelines(lines)
            doc_ids.extend(ids)
            postings += count
    return doc_ids, postings


def _collection_lines(
    ids: Sequence[str], rows: sp.csr_matrix, json_terms: Sequence[str], scale: float
) -> tuple[list[str], int]:
    if rows.nnz and rows.data.min() < 0:
        raise InputError("the lucene backend stores non-negative weights only; use the csr backend")
    values = impacts(rows.data, scale)
    lines, count = [], 0
    for doc_id, start, end in zip(ids, rows.indptr[:-1].tolist(), rows.indptr[1:].tolist(), strict=True):
        pairs = [
            f"{json_terms[column]}: {value}"
            for column, value in zip(rows.indices[start:end].tolist(), values[start:end].tolist(), strict=True)
            if value
        ]
        count += len(pairs)
        lines.append(f'{{"id": {json.dumps(doc_id)}, "contents": "", "vector": {{{", ".join(pairs)}}}}}\n')
    return lines, count
