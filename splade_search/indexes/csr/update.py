"""The posting arithmetic behind `CsrIndex.add` and `CsrIndex.delete`.

Added documents get the next document numbers; deleting renumbers the remaining documents
compactly, keeping their order. Stored weights of existing documents are copied as they are: an
integer-quantized index keeps its scale, and new weights beyond that scale's range are refused
(rebuild the index instead). Stored documents follow the same order changes.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import numpy as np

from ...errors import InputError
from ..batches import Batch, DocMatrixBuilder, read_batches
from ..docstore import DocStore
from ..fields import FieldColumns, Records, iter_records
from .postings import Postings, from_doc_major, keep, merge
from .quantization import Quantization

if TYPE_CHECKING:
    from .index import CsrIndex

Documents = Iterable[tuple[str, str, str]]


def check_editable(index: CsrIndex) -> None:
    """Refuse to add to or delete from an index built with passages (its rows are not documents)."""
    if index.passages is not None:
        raise InputError(
            f"the index {index.path} was built with passages; add, delete and sync work on indexes without "
            "passages for now: rebuild it from the changed corpus"
        )


def added_postings(index: CsrIndex, batches: Iterable[Batch], show_progress: bool) -> tuple[list[str], Postings]:
    """The new documents' ids and the postings of ``index`` with those documents appended."""
    builder = DocMatrixBuilder(len(index.vocab))
    known = set(index.doc_ids)
    for ids, rows in read_batches(batches, len(index.vocab), show_progress, desc="adding"):
        clash = next((doc_id for doc_id in ids if doc_id in known), None)
        if clash is not None:
            raise InputError(f"document id {clash!r} is already in the index; delete it first to replace it")
        builder.add(ids, rows)
    new = from_doc_major(builder.finish())
    stored = _requantize(new.weights, index.quantization)
    new = keep(Postings(new.indptr, new.docs.astype(np.int64) + len(index), stored), stored != 0)
    return builder.doc_ids, merge(index.postings, new)


def remaining_postings(index: CsrIndex, ids: Iterable[str]) -> tuple[np.ndarray, Postings]:
    """Mask of the documents kept after deleting ``ids``, and the renumbered postings."""
    numbers = {doc_id: number for number, doc_id in enumerate(index.doc_ids)}
    doomed = list(dict.fromkeys(ids))
    missing = [doc_id for doc_id in doomed if doc_id not in numbers]
    if missing:
        raise InputError(f"{len(missing)} ids are not in the index, e.g. {missing[0]!r}; nothing was deleted")
    alive = np.ones(len(index), dtype=bool)
    alive[[numbers[doc_id] for doc_id in doomed]] = False
    if not alive.any():
        raise InputError("deleting every document would leave an empty index; delete the index folder instead")
    postings = index.postings
    kept = keep(postings, alive[postings.docs])
    renumber = np.cumsum(alive) - 1
    return alive, kept._replace(docs=renumber[kept.docs])


def kept_documents(index: CsrIndex, alive: np.ndarray) -> Documents | None:
    """The stored documents that survive a deletion, or ``None`` when the index stores none."""
    store = index.documents
    return None if store is None else _read(store, np.flatnonzero(alive).tolist())


def extended_documents(index: CsrIndex, documents: Documents | None) -> Documents | None:
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


def _requantize(weights: np.ndarray, quantization: Quantization) -> np.ndarray:
    dtype = quantization.numpy_dtype
    if quantization.scale is None:
        if dtype == np.float16 and weights.size and np.abs(weights).max() > np.finfo(np.float16).max:
            raise InputError("new weights exceed the float16 range (65504) of this index")
        return weights.astype(dtype)
    stored = np.rint(weights * np.float32(quantization.scale))
    limits = np.iinfo(dtype)
    if stored.size and (stored.min() < limits.min or stored.max() > limits.max):
        raise InputError(
            f"new weights exceed the {quantization.dtype} range of this index (largest storable weight "
            f"{limits.max / quantization.scale:.4g}); rebuild the index with all documents"
        )
    return stored.astype(dtype)


def extended_fields(index: CsrIndex, new_ids: list[str], records: Records | None) -> FieldColumns | None:
    """The metadata of ``index`` followed by the new documents' ``records`` (``None`` when neither has any)."""
    old = index.fields
    if old is None and records is None:
        return None
    new = list(records) if records is not None else [None] * len(new_ids)
    if len(new) != len(new_ids):
        raise InputError(f"{len(new)} metadata records were given for {len(new_ids)} added documents")
    previous = list(iter_records(old)) if old is not None else [None] * len(index)
    return FieldColumns.from_records(previous + new, index.doc_ids + new_ids)


def kept_fields(index: CsrIndex, alive: np.ndarray, doc_ids: list[str]) -> FieldColumns | None:
    """The metadata of the documents that survive a deletion."""
    old = index.fields
    if old is None:
        return None
    return FieldColumns.from_records([old.record(int(n)) for n in np.flatnonzero(alive)], doc_ids)
