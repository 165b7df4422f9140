"""Bring a csr index up to date with its corpus: keep the vectors of unchanged documents, encode only the rest.

`sync_index` reads the corpus as it is now, in order. A document whose id is in the index with the
same title and text keeps its stored vector; a new or changed document is encoded (through the
caller's ``encode`` function, so this module needs no model); a document that is gone is dropped.
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
from .fields import flatten
from .lock import WriteLock

SyncedDocument = tuple[str, str, str, Mapping[str, Any]]  # id, title, text, metadata
Encode = Callable[[list[SyncedDocument]], sp.csr_matrix]


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
        if index.quantization.scale is not None:
            raise InputError(
                f"the index {index.path} stores {index.quantization.dtype} weights, which cannot be kept exactly "
                "by a sync; rebuild it instead"
            )
        if index.documents is None:
            raise InputError(f"the index {index.path} stores no documents to compare with; rebuild it instead")
        stored_rows = _doc_major(index)
        numbers = {doc_id: number for number, doc_id in enumerate(index.doc_ids)}
        order: list[tuple[str, int]] = []  # ("old", doc number) or ("new", position among encoded)
        new_rows: list[sp.csr_matrix] = []
        pending: list[SyncedDocument] = []
        corpus: list[SyncedDocument] = []
        digest = hashlib.blake2b(digest_size=16)
        for document in documents:
            doc_id, title, text, _ = document
            corpus.append(document)
            _add_to_digest(digest, document)
            number = numbers.get(doc_id)
            if number is not None and _same_text(index, number, title, text):
                order.append(("old", number))
                continue
            order.append(("new", len(pending) + sum(rows.shape[0] for rows in new_rows)))
            pending.append(document)
            if len(pending) >= chunk_size:
                new_rows.append(_encoded(encode, pending, on_encoded))
                pending = []
        if pending:
            new_rows.append(_encoded(encode, pending, on_encoded))
        if not corpus:
            raise InputError("the corpus is empty now; delete the index instead of syncing it to nothing")
        if reread is not None:
            _check_unchanged(digest.hexdigest(), reread)
        fresh = sp.vstack(new_rows, format="csr") if new_rows else sp.csr_matrix((0, len(index.vocab)), dtype=np.float32)
        rows = _in_corpus_order(order, stored_rows, fresh)
        encoded = sum(1 for kind, _ in order if kind == "new")
        kept = len(order) - encoded
        updated = CsrIndex.build(
            path,
            [([d[0] for d in corpus], rows)],
            index.vocab,
            metadata=index.metadata,
            documents=((d[0], d[1], d[2]) for d in corpus),
            fields=_fields_or_none([dict(d[3]) for d in corpus]),
            model=index.model_folder,
            quantization=index.quantization.dtype,
            storage=index.storage,
            show_progress=False,
        )
        gone = len(set(index.doc_ids) - {d[0] for d in corpus})
        return SyncReport(updated, kept=kept, encoded=encoded, deleted=gone)


def _doc_major(index: CsrIndex) -> sp.csr_matrix:
    """The index's stored vectors, one row per document (float32)."""
    postings = index.postings
    term_major = sp.csc_matrix(
        (np.asarray(postings.weights, dtype=np.float32), np.asarray(postings.docs), np.asarray(postings.indptr)),
        shape=(len(index), len(index.vocab)),
    )
    return term_major.tocsr()


def _same_text(index: CsrIndex, number: int, title: str, text: str) -> bool:
    stored = index.documents[number]  # type: ignore[index]
    return stored.title == title and stored.text == text


def _encoded(encode: Encode, documents: list[SyncedDocument], on_encoded: Callable[[int], None] | None) -> sp.csr_matrix:
    rows = sp.csr_matrix(encode(documents), dtype=np.float32)
    if rows.shape[0] != len(documents):
        raise InputError(f"encode returned {rows.shape[0]} vectors for {len(documents)} documents")
    if on_encoded is not None:
        on_encoded(len(documents))
    return rows


def _in_corpus_order(order: list[tuple[str, int]], stored: sp.csr_matrix, fresh: sp.csr_matrix) -> sp.csr_matrix:
    combined = sp.vstack([stored, fresh], format="csr")
    picks = np.array([number if kind == "old" else stored.shape[0] + number for kind, number in order], dtype=np.int64)
    return combined[picks]


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
