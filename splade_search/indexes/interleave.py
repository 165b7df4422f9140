"""Where the documents of several indexes go in one index that interleaves them, and everything per document.

Given the indexes (*parts*) and, for each, the document number each of its documents gets in the
combined index (together a permutation of ``0 .. documents - 1``), an `Interleaving` numbers the
combined rows (a document's passages stay consecutive, in their order), and gives the combined row
ids, passage map, stored documents and metadata fields. Backends use it to write their own postings
(see `csr.merge`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from ..errors import InputError
from .base import SparseIndex
from .fields import FieldColumns
from .passage_map import PassageMap


class Interleaving:
    """Parts' documents placed at given numbers of a combined index (see the module docstring)."""

    def __init__(self, parts: Sequence[SparseIndex], placement: Sequence[np.ndarray]) -> None:
        """``placement[p][j]``: the combined document number of document ``j`` of ``parts[p]``."""
        self.parts = list(parts)
        self.placement = [np.asarray(numbers, dtype=np.int64) for numbers in placement]
        self.num_documents = sum(len(numbers) for numbers in self.placement)
        self.source_part = np.full(self.num_documents, -1, dtype=np.int64)
        self.source_number = np.zeros(self.num_documents, dtype=np.int64)
        for number, (part, numbers) in enumerate(zip(self.parts, self.placement, strict=True)):
            if len(numbers) != len(part.document_ids):
                raise InputError(f"{part.path}: {len(numbers)} placements for {len(part.document_ids)} documents")
            self.source_part[numbers] = number
            self.source_number[numbers] = np.arange(len(numbers))
        if (self.source_part < 0).any():
            raise InputError("the placements leave combined document numbers unused; they must be a permutation")
        counts = np.zeros(self.num_documents, dtype=np.int64)
        for part, numbers in zip(self.parts, self.placement):
            counts[numbers] = part.passages.counts() if part.passages is not None else 1
        self.row_starts = np.zeros(self.num_documents + 1, dtype=np.int64)
        np.cumsum(counts, out=self.row_starts[1:])

    @property
    def num_rows(self) -> int:
        """Rows of the combined index (passages, or documents)."""
        return int(self.row_starts[-1])

    def row_map(self, part: int) -> np.ndarray:
        """The combined row number of each row of ``parts[part]``."""
        passages = self.parts[part].passages
        if passages is None:
            return self.row_starts[self.placement[part]]
        return self.row_starts[self.placement[part][passages.parents]] + passages.ordinals()

    def row_ids(self) -> list[str]:
        """The combined index's row ids, in row order; `InputError` when two parts hold the same id."""
        ids = np.empty(self.num_rows, dtype=object)
        for number, part in enumerate(self.parts):
            ids[self.row_map(number)] = part.doc_ids
        found = ids.tolist()
        if len(set(found)) != len(found):
            seen: set[str] = set()
            repeated = next(row_id for row_id in found if row_id in seen or seen.add(row_id))
            holders = ", ".join(str(part.path) for part in self.parts if repeated in part.doc_ids)
            raise InputError(f"document id {repeated!r:.80} is in more than one part ({holders}); parts must hold different documents")
        return found

    def document_ids(self) -> list[str]:
        """The combined index's document ids, in document order."""
        ids = np.empty(self.num_documents, dtype=object)
        for part, numbers in zip(self.parts, self.placement):
            ids[numbers] = part.document_ids
        return ids.tolist()

    def passage_map(self) -> PassageMap | None:
        """The combined passage map (``None`` when the parts hold whole documents)."""
        first = self.parts[0].passages
        if first is None:
            return None
        spans = np.zeros((self.num_rows, 2), dtype=np.int64)
        for number, part in enumerate(self.parts):
            spans[self.row_map(number)] = part.passages.spans  # type: ignore[union-attr]
        parents = np.repeat(np.arange(self.num_documents, dtype=np.int64), np.diff(self.row_starts))
        return PassageMap(self.document_ids(), parents, spans, first.settings)

    def documents(self) -> Iterator[tuple[str, str, str]] | None:
        """The parts' stored documents in combined order (``None`` when the parts store none)."""
        stores = [part.documents for part in self.parts]
        if any(store is None for store in stores):
            return None
        return self._stored(stores)

    def _stored(self, stores: list) -> Iterator[tuple[str, str, str]]:
        for part, number in zip(self.source_part.tolist(), self.source_number.tolist()):
            document = stores[part][number]
            yield document.id, document.title, document.text

    def fields(self) -> FieldColumns | None:
        """The parts' metadata fields in combined order, typed as if indexed together (``None`` when none has any)."""
        columns = [part.fields for part in self.parts]
        if all(column is None for column in columns):
            return None
        records = [
            columns[part].record(number) if columns[part] is not None else {}  # type: ignore[union-attr]
            for part, number in zip(self.source_part.tolist(), self.source_number.tolist())
        ]
        return FieldColumns.from_records(records, self.document_ids())
