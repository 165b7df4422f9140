"""What adding and deleting documents means for every backend that offers it.

Added documents come after the existing ones, with new ids; deleting keeps the order of the rest.
Stored documents and metadata fields follow the same order changes. Indexes built with passages
are not editable (their rows are passages, not documents). Backends turn the results into their
own storage (see `csr.update`, `milvus.index`).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from ..errors import InputError
from .batches import Batch, DocMatrixBuilder, read_batches
from .docstore import DocStore
from .fields import FieldColumns, Records, iter_records

if TYPE_CHECKING:
    from .base import SparseIndex

Documents = Iterable[tuple[str, str, str]]


def check_editable(index: SparseIndex) -> None:
    """Refuse to add to or delete from an index built with passages (its rows are not documents)."""
    if index.passages is not None:
        raise InputError(
            f"the index {index.path} was built with passages; add, delete and sync work on indexes without "
            "passages for now: rebuild it from the changed corpus"
        )


def added_rows(index: SparseIndex, batches: Iterable[Batch], show_progress: bool) -> tuple[list[str], sp.csr_matrix]:
    """The ids and vectors of documents to add to ``index`` (validated; `InputError` for an id it has)."""
    builder = DocMatrixBuilder(len(index.vocab))
    known = set(index.doc_ids)
    for ids, rows in read_batches(batches, len(index.vocab), show_progress, desc="adding"):
        clash = next((doc_id for doc_id in ids if doc_id in known), None)
        if clash is not None:
            raise InputError(f"document id {clash!r} is already in the index; delete it first to replace it")
        builder.add(ids, rows)
    return builder.doc_ids, builder.finish()


def deleted_mask(index: SparseIndex, ids: Iterable[str]) -> np.ndarray:
    """Which documents of ``index`` remain after deleting ``ids``; `InputError` for an unknown id or for all of them."""
    numbers = {doc_id: number for number, doc_id in enumerate(index.doc_ids)}
    doomed = list(dict.fromkeys(ids))
    missing = [doc_id for doc_id in doomed if doc_id not in numbers]
    if missing:
        raise InputError(f"{len(missing)} ids are not in the index, e.g. {missing[0]!r}; nothing was deleted")
    alive = np.ones(len(index), dtype=bool)
    alive[[numbers[doc_id] for doc_id in doomed]] = False
    if not alive.any():
        raise InputError("deleting every document would leave an empty index; delete the index folder instead")
    return alive


def kept_documents(index: SparseIndex, alive: np.ndarray) -> Documents | None:
    """The stored documents that survive a deletion, or ``None`` when the index stores none."""
    store = index.documents
    return None if store is None else _read(store, np.flatnonzero(alive).tolist())


def extended_documents(index: SparseIndex, documents: Documents | None) -> Documents | None:
    """The stored documents of ``index`` followed by ``documents``; both or neither must exist."""
    store = index.documents
    if (store is None) != (documents is None):
        raise InputError(
            "pass documents for the added vectors exactly when the index stores documents "
            f"(this one {'does not' if store is None else 'does'})"
        )
    if store is None or documents is None:
        return None
    return itertools.chain(_read(store, range(len(store))), documents)


def _read(store: DocStore, numbers: Iterable[int]) -> Iterator[tuple[str, str, str]]:
    for number in numbers:
        doc = store[number]
        yield doc.id, doc.title, doc.text


def extended_fields(index: SparseIndex, new_ids: list[str], records: Records | None) -> FieldColumns | None:
    """The metadata of ``index`` followed by the new documents' ``records`` (``None`` when neither has any)."""
    old = index.fields
    if old is None and records is None:
        return None
    new = list(records) if records is not None else [None] * len(new_ids)
    if len(new) != len(new_ids):
        raise InputError(f"{len(new)} metadata records were given for {len(new_ids)} added documents")
    previous = list(iter_records(old)) if old is not None else [None] * len(index)
    return FieldColumns.from_records(previous + new, index.doc_ids + new_ids)


def kept_fields(index: SparseIndex, alive: np.ndarray, doc_ids: list[str]) -> FieldColumns | None:
    """The metadata of the documents that survive a deletion."""
    old = index.fields
    if old is None:
        return None
    return FieldColumns.from_records([old.record(int(n)) for n in np.flatnonzero(alive)], doc_ids)
