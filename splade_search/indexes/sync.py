"""Bring a csr index up to date with its corpus: keep the vectors of unchanged documents, encode only the rest.

`sync_index` reads the corpus as it is now, in order. A document whose id is in the index with the
same title and text keeps its stored vector; a new or changed document is encoded (through the
caller's ``encode`` function, so this module needs no model; in an index built with passages it
returns each document's passage spans with the rows); a document that is gone is dropped.
Metadata fields are taken from the corpus as it is now. The result is published as one new
generation, laid out exactly as a full rebuild of the same corpus would be (same order, ids, vectors,
fields), under the index's write lock.

The corpus must hold still meanwhile: if ``reread`` is given, the corpus is read once more before
publishing and any difference (a file edited during the run) aborts the sync with nothing changed.
Integer-quantized indexes are refused (their float weights are gone; rebuild them instead).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import InputError
from .csr import CsrIndex
from .csr.postings import to_doc_major
from .fields import flatten
from .lock import WriteLock
from .passage_map import PassageMap, passage_id

SyncedDocument = tuple[str, str, str, Mapping[str, Any]]  # id, title, text, metadata
Spans = list[list[tuple[int, int]]]
Encode = Callable[[list[SyncedDocument]], tuple[sp.csr_matrix, Spans | None]]  # rows, passage spans per document


@dataclass
class SyncReport:
    """What a sync did."""

    index: CsrIndex
    kept: int  # documents whose stored vector was kept
    encoded: int  # new or changed documents
    deleted: int  # documents no longer in the corpus


def sync_index(
    path: str | os.PathLike[str],
    documents: Iterable[SyncedDocument],
    encode: Encode,
    *,
    chunk_size: int = 256,
    reread: Callable[[], Iterable[SyncedDocument]] | None = None,
    lock_timeout: float = 0.0,
    on_encoded: Callable[[int], None] | None = None,
) -> SyncReport:
    """Make the csr index at ``path`` hold exactly ``documents`` (see the module docstring)."""
    with WriteLock(path, lock_timeout):
        index = CsrIndex.open(path)
        _check_syncable(index)
        passages = index.passages
        stored_rows = _doc_major(index)
        first_row = _first_rows(index)
        numbers = {doc_id: number for number, doc_id in enumerate(index.document_ids)}
        picks: list[np.ndarray] = []  # per document, its rows: stored ones (>= 0) or fresh ones (-1 - position)
        spans: Spans = []
        fresh: list[sp.csr_matrix] = []
        fresh_rows = 0
        pending: list[SyncedDocument] = []
        pending_slots: list[int] = []  # where each pending document stands in the corpus
        corpus: list[SyncedDocument] = []
        digest = hashlib.blake2b(digest_size=16)

        def flush() -> None:
            nonlocal fresh_rows
            rows, doc_spans = _encoded(encode, pending, on_encoded)
            counts = [len(s) for s in doc_spans] if doc_spans is not None else [1] * len(pending)
            for slot, count in zip(pending_slots, counts):
                picks[slot] = -1 - (fresh_rows + np.arange(count))
                fresh_rows += count
            for slot, doc_span in zip(pending_slots, doc_spans or []):
                spans[slot] = doc_span
            fresh.append(rows)
            pending.clear()
            pending_slots.clear()

        for document in documents:
            doc_id, title, text, _ = document
            corpus.append(document)
            _add_to_digest(digest, document)
            number = numbers.get(doc_id)
            picks.append(np.empty(0, dtype=np.int64))
            spans.append([])
            if number is not None and _same_text(index, number, title, text):
                picks[-1] = np.arange(first_row[number], first_row[number + 1])
                if passages is not None:
                    spans[-1] = [tuple(int(x) for x in span) for span in passages.spans[picks[-1]]]
                continue
            pending.append(document)
            pending_slots.append(len(picks) - 1)
            if len(pending) >= chunk_size:
                flush()
        if pending:
            flush()
        if not corpus:
            raise InputError("the corpus is empty now; delete the index instead of syncing it to nothing")
        if reread is not None:
            _check_unchanged(digest.hexdigest(), reread)
        width = len(index.vocab)
        new_rows = sp.vstack(fresh, format="csr") if fresh else sp.csr_matrix((0, width), dtype=np.float32)
        order = np.concatenate(picks)
        rows = sp.vstack([stored_rows, new_rows], format="csr")[np.where(order >= 0, order, stored_rows.shape[0] - 1 - order)]
        encoded = sum(1 for pick in picks if len(pick) and pick[0] < 0)
        ids = [d[0] for d in corpus]
        passage_map = _passage_map(ids, spans, passages.settings) if passages is not None else None
        row_ids = [passage_id(ids[d], n) for d, doc_spans in enumerate(spans) for n in range(len(doc_spans))] if passages else ids
        updated = CsrIndex.build(
            path,
            [(row_ids, rows)],
            index.vocab,
            metadata=index.metadata,
            documents=((d[0], d[1], d[2]) for d in corpus),
            fields=_fields_or_none([dict(d[3]) for d in corpus]),
            passages=passage_map,
            model=index.model_folder,
            quantization=index.quantization.dtype,
            storage=index.storage,
            show_progress=False,
        )
        gone = len(set(index.document_ids) - set(ids))
        return SyncReport(updated, kept=len(corpus) - encoded, encoded=encoded, deleted=gone)


def _check_syncable(index: CsrIndex) -> None:
    if index.quantization.scale is not None:
        raise InputError(
            f"the index {index.path} stores {index.quantization.dtype} weights, which cannot be kept exactly "
            "by a sync; rebuild it instead"
        )
    if index.documents is None:
        raise InputError(f"the index {index.path} stores no documents to compare with; rebuild it instead")


def _first_rows(index: CsrIndex) -> np.ndarray:
    """Where each document's rows start (and, last, the number of rows)."""
    if index.passages is None:
        return np.arange(len(index) + 1)
    parents = index.passages.parents
    return np.searchsorted(parents, np.arange(index.passages.num_documents + 1), side="left")


def _passage_map(ids: list[str], spans: Spans, settings: dict[str, Any]) -> PassageMap:
    parents = np.repeat(np.arange(len(spans), dtype=np.int64), [len(s) for s in spans])
    flat = np.array([span for doc_spans in spans for span in doc_spans], dtype=np.int64).reshape(-1, 2)
    return PassageMap(ids, parents, flat, settings)


def _doc_major(index: CsrIndex) -> sp.csr_matrix:
    """The index's stored vectors, one row per document (float32)."""
    rows = to_doc_major(index.postings, len(index))
    return sp.csr_matrix((rows.weights.astype(np.float32), rows.docs, rows.indptr), shape=(len(index), len(index.vocab)))


def _same_text(index: CsrIndex, number: int, title: str, text: str) -> bool:
    stored = index.documents[number]  # type: ignore[index]
    return stored.title == title and stored.text == text


def _encoded(
    encode: Encode, documents: list[SyncedDocument], on_encoded: Callable[[int], None] | None
) -> tuple[sp.csr_matrix, Spans | None]:
    rows, spans = encode(documents)
    rows = sp.csr_matrix(rows, dtype=np.float32)
    expected = sum(len(s) for s in spans) if spans is not None else len(documents)
    if rows.shape[0] != expected:
        raise InputError(f"encode returned {rows.shape[0]} vectors for {len(documents)} documents ({expected} rows)")
    if on_encoded is not None:
        on_encoded(len(documents))
    return rows, spans


def _add_to_digest(digest: Any, document: SyncedDocument) -> None:
    doc_id, title, text, metadata = document
    digest.update(json.dumps([doc_id, title, text, dict(metadata)], sort_keys=True, default=str).encode())


def _check_unchanged(expected: str, reread: Callable[[], Iterable[SyncedDocument]]) -> None:
    digest = hashlib.blake2b(digest_size=16)
    for document in reread():
        _add_to_digest(digest, document)
    if digest.hexdigest() != expected:
        raise InputError(
            "the corpus changed while it was being synced (a file was added, removed or edited meanwhile); "
            "nothing was changed: run the sync again"
        )


def _fields_or_none(records: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    flat = [flatten(record) for record in records]
    return flat if any(flat) else None


def iter_synced(documents: Iterable[Any]) -> Iterator[SyncedDocument]:
    """``(id, title, text, metadata)`` tuples from `data.Document` objects."""
    for document in documents:
        yield document.id, document.title, document.text, document.metadata
