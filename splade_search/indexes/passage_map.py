"""Which document each row of a passage index belongs to, and where in the document's text it lies.

An index built with passages holds one row per passage; its row ids are ``<document id>#<n>``
(`passage_id`, n counting from 0 within the document). Documents keep their own numbers (build
order): the document store and the metadata fields are per document. Folder ``passages/`` of a
generation holds ``document_ids.txt`` (one id per line), ``parents.npy`` (int64, the document number
of each row, non-decreasing: a document's passages are consecutive rows), ``spans.npy`` (int64,
rows x 2: start and end character of the passage in the document's text) and ``settings.json``
(the `passages.PassageSettings` the index was built with). All are validated on open.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import IndexFormatError
from .storage import load_array, read_doc_ids, read_json, save_array, write_doc_ids, write_json

PASSAGES_FOLDER = "passages"
_IDS, _PARENTS, _SPANS, _SETTINGS = "document_ids.txt", "parents.npy", "spans.npy", "settings.json"


def passage_id(document_id: str, ordinal: int) -> str:
    """The row id of passage ``ordinal`` of a document (unique: the part after the last ``#`` is a number)."""
    return f"{document_id}#{ordinal}"


@dataclass(frozen=True)
class PassageMap:
    """Rows (passages) to documents: ``parents[row]``, ``spans[row]``, and the documents' ids."""

    document_ids: list[str]
    parents: np.ndarray
    spans: np.ndarray
    settings: dict[str, Any]

    @property
    def num_documents(self) -> int:
        """How many documents the passages come from."""
        return len(self.document_ids)

    def ordinals(self) -> np.ndarray:
        """Each row's position among its document's passages (0 = the first passage)."""
        first_row = np.searchsorted(self.parents, self.parents, side="left")
        return np.arange(len(self.parents)) - first_row

    def counts(self) -> np.ndarray:
        """Passages per document."""
        return np.bincount(self.parents, minlength=self.num_documents)

    def write(self, folder: Path) -> list[str]:
        """Write the map into the new folder ``folder``; returns its files relative to the parent folder."""
        folder.mkdir()
        write_doc_ids(folder / _IDS, self.document_ids)
        save_array(folder, _PARENTS, np.asarray(self.parents, dtype=np.int64))
        save_array(folder, _SPANS, np.asarray(self.spans, dtype=np.int64).reshape(-1, 2))
        write_json(folder / _SETTINGS, self.settings)
        return [f"{folder.name}/{name}" for name in (_IDS, _PARENTS, _SPANS, _SETTINGS)]

    @classmethod
    def open(cls, folder: Path, num_rows: int, num_documents: int) -> PassageMap:
        """Read and validate the map of an index of ``num_rows`` passages from ``num_documents`` documents."""
        ids = read_doc_ids(folder / _IDS, num_documents)
        parents = load_array(folder, _PARENTS)
        spans = load_array(folder, _SPANS)
        if parents.dtype != np.int64 or parents.shape != (num_rows,):
            raise IndexFormatError(f"{folder / _PARENTS} must hold {num_rows} int64 document numbers")
        if spans.dtype != np.int64 or spans.shape != (num_rows, 2):
            raise IndexFormatError(f"{folder / _SPANS} must hold {num_rows} int64 (start, end) pairs")
        if num_rows and (parents[0] != 0 or parents[-1] != num_documents - 1 or (np.diff(parents) < 0).any()):
            raise IndexFormatError(f"{folder / _PARENTS} must rise from 0 to {num_documents - 1} without falling")
        if num_rows and (np.diff(parents) > 1).any():
            raise IndexFormatError(f"{folder / _PARENTS} skips a document: every document needs a passage")
        if len(spans) and ((spans[:, 0] < 0).any() or (spans[:, 1] < spans[:, 0]).any()):
            raise IndexFormatError(f"{folder / _SPANS} holds a span that starts below 0 or ends before it starts")
        settings = read_json(folder / _SETTINGS)
        if not isinstance(settings, dict):
            raise IndexFormatError(f"{folder / _SETTINGS} must be a JSON object")
        return cls(ids, parents, spans, settings)
