"""A read-only store of document titles and texts for showing hits, addressed by document number.

Folder layout: ``docs.jsonl`` (one ``{"id", "title", "text"}`` object per line, in document-number
order), ``offsets.npy`` (int64 byte offset of each line, plus the end of the file) and
``manifest.json``. An index built with ``documents=`` keeps its store in the ``docs`` folder of each
generation (see `SparseIndex.documents`); `DocStore.write` also makes standalone stores. The store
is mapped when it is opened, so it keeps serving the snapshot it was opened on; reads go through a
read-only memory map and are safe from several threads.
"""

from __future__ import annotations

import json
import mmap
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

import numpy as np
from ..errors import IndexFormatError, InputError
from ..progress import progress_bar
from .manifest import read_manifest, write_manifest
from .storage import load_array, save_array, validate_doc_id
from .validation import check_listed, check_offsets

DOCSTORE_FORMAT = "splade-search-docstore"
_TEXT_FILE = "docs.jsonl"
_OFFSETS_FILE = "offsets.npy"


class StoredDocument(NamedTuple):
    """One stored document."""

    id: str
    title: str
    text: str


class DocStore:
    """Random access to stored documents by document number (0-based, build order)."""

    def __init__(self, path: str | os.PathLike[str], verify: bool = True) -> None:
        """Open the store at ``path``; a damaged store raises `IndexFormatError`."""
        self.path = Path(path)
        manifest = read_manifest(self.path, DOCSTORE_FORMAT, verify)
        check_listed(manifest, [_TEXT_FILE, _OFFSETS_FILE], self.path)
        self._offsets = load_array(self.path, _OFFSETS_FILE)
        with open(self.path / _TEXT_FILE, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            files = (self.path / _OFFSETS_FILE, self.path / _TEXT_FILE)
            check_offsets(self._offsets, manifest["num_docs"], size, files)
            self._text = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""

    @classmethod
    def write(
        cls,
        path: str | os.PathLike[str],
        documents: Iterable[tuple[str, str, str]],
        show_progress: bool = False,
    ) -> DocStore:
        """Store ``(id, title, text)`` triples in order in the new folder ``path``.

        ``path`` must not exist yet (inside an index it is part of a generation being written); on
        any error the folder is removed again.
        """
        folder = Path(path)
        try:
            folder.mkdir(parents=True)
        except FileExistsError:
            raise InputError(f"{folder} already exists; a document store is written into a new folder") from None
        try:
            offsets = [0]
            with open(folder / _TEXT_FILE, "wb") as f, progress_bar("storing documents", enabled=show_progress) as advance:
                for number, record in enumerate(documents):
                    f.write(_encode(number, record))
                    offsets.append(f.tell())
                    advance(1)
            save_array(folder, _OFFSETS_FILE, np.asarray(offsets, dtype=np.int64))
            write_manifest(folder, DOCSTORE_FORMAT, [_TEXT_FILE, _OFFSETS_FILE], num_docs=len(offsets) - 1)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return cls(folder, verify=False)

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, doc_number: int) -> StoredDocument:
        """The document with internal number ``doc_number``."""
        if not 0 <= doc_number < len(self):
            raise IndexError(f"document number {doc_number} out of range for a store of {len(self)}")
        start, end = int(self._offsets[doc_number]), int(self._offsets[doc_number + 1])
        try:
            record = json.loads(self._text[start:end])
            return StoredDocument(record["id"], record["title"], record["text"])
        except (ValueError, KeyError, TypeError) as exc:
            raise IndexFormatError(f"{self.path / _TEXT_FILE}: document {doc_number} is unreadable ({exc})") from exc

    def ids(self) -> list[str]:
        """All stored ids in document-number order (reads the whole store)."""
        return [self[number].id for number in range(len(self))]


def _encode(number: int, record: tuple[str, str, str]) -> bytes:
    try:
        doc_id, title, text = record
    except (TypeError, ValueError) as exc:
        raise InputError(f"stored document {number} must be an (id, title, text) triple, got {record!r:.80}") from exc
    if not isinstance(title, str) or not isinstance(text, str):
        raise InputError(f"stored document {doc_id!r}: title and text must be strings")
    line = json.dumps({"id": validate_doc_id(doc_id), "title": title, "text": text}, ensure_ascii=False)
    return line.encode("utf-8") + b"\n"
