"""Encoded batches kept on disk while a corpus is being indexed, so an interrupted run can resume.

``<index>.partial/`` holds ``state.json`` (a format marker, what is being indexed and how) and, per
finished batch, ``batch_<n>.npz`` (CSR arrays, loaded with ``allow_pickle=False``) and
``batch_<n>.jsonl`` (id, title, text). Each file is written under a temporary name and renamed into
place. A folder at that path without our marker is never resumed, replaced or deleted. The caller
holds the index's write lock, so one run at a time uses the folder.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import scipy.sparse as sp

from ..data.documents import Document
from ..errors import InputError
from ..indexes.passage_map import passage_id

STATE_FILE = "state.json"
STAGING_FORMAT = "splade-search-staging"


class Staging:
    """The finished batches of one indexing run."""

    def __init__(self, folder: Path, settings: dict[str, Any]) -> None:
        self.folder = folder
        self.settings = settings

    @classmethod
    def open(cls, index_path: Path, settings: dict[str, Any], resume: bool) -> "Staging":
        """Resume the staging folder of ``index_path`` if its settings match, else start afresh.

        Raises `InputError` when a folder is in the way that we did not make, or (with ``resume``)
        when the partial run used other settings.
        """
        folder = index_path.with_name(index_path.name + ".partial")
        if folder.is_dir() and not folder.is_symlink() and not any(folder.iterdir()):
            folder.rmdir()  # a run killed before it wrote its marker
        if folder.exists() or folder.is_symlink():
            previous = _read_state(folder)
            if resume:
                if previous != settings:
                    raise InputError(
                        f"{folder} holds a partial run with other settings ({_difference(previous, settings)}); "
                        "rerun with the same options, or pass --restart to start over"
                    )
                return cls(folder, settings)
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        _write_atomic(folder / STATE_FILE, json.dumps({"format": STAGING_FORMAT, "settings": settings}, indent=2).encode())
        return cls(folder, settings)

    def batch_count(self) -> int:
        """How many batches are complete (vectors and documents both written)."""
        count = 0
        while (self.folder / f"batch_{count:06d}.jsonl").exists():
            count += 1
        return count

    def staged_ids(self, batch: int) -> list[str]:
        """The row ids of a finished batch: its documents' ids, or its passages' (see `passage_map.passage_id`)."""
        records = self._records(batch)
        if records and "spans" in records[0]:
            return [passage_id(r["id"], n) for r in records for n in range(len(r["spans"]))]
        return [r["id"] for r in records]

    def spans(self, batch: int) -> list[list[tuple[int, int]]] | None:
        """The passage spans of each document of a finished batch (``None`` when indexed without passages)."""
        records = self._records(batch)
        if not records or "spans" not in records[0]:
            return None
        return [[(int(a), int(b)) for a, b in r["spans"]] for r in records]

    def write(
        self, batch: int, docs: list[Document], rows: sp.csr_matrix, spans: list[list[tuple[int, int]]] | None = None
    ) -> None:
        """Store one encoded batch (with each document's passage spans, if any); the ``.jsonl`` is written last
        and marks it complete."""
        rows = rows.tocsr()
        npz = self.folder / f"batch_{batch:06d}.npz"
        tmp = npz.with_suffix(".tmp.npz")
        np.savez(tmp, indptr=rows.indptr, indices=rows.indices, data=rows.data.astype(np.float32), shape=np.array(rows.shape))
        os.replace(tmp, npz)
        records = [{"id": d.id, "title": d.title, "text": d.text, "metadata": dict(d.metadata)} for d in docs]
        for record, doc_spans in zip(records, spans or []):
            record["spans"] = [list(span) for span in doc_spans]
        lines = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
        _write_atomic(self.folder / f"batch_{batch:06d}.jsonl", lines.encode("utf-8"))

    def vectors(self, batch: int) -> sp.csr_matrix:
        """The CSR rows of a finished batch."""
        with np.load(self.folder / f"batch_{batch:06d}.npz", allow_pickle=False) as arrays:
            shape = tuple(int(x) for x in arrays["shape"])
            return sp.csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), shape=shape)

    def documents(self, batch: int) -> list[Document]:
        """The documents of a finished batch."""
        return [Document(r["id"], r["title"], r["text"], r.get("metadata", {})) for r in self._records(batch)]

    def _records(self, batch: int) -> list[dict[str, Any]]:
        with open(self.folder / f"batch_{batch:06d}.jsonl", encoding="utf-8") as f:
            return [json.loads(line) for line in f]

    def batches(self) -> Iterator[tuple[list[str], sp.csr_matrix]]:
        """Every finished batch as ``(doc_ids, vectors)``."""
        for batch in range(self.batch_count()):
            yield self.staged_ids(batch), self.vectors(batch)

    def all_metadata(self) -> Iterator[dict[str, Any]]:
        """Every staged document's metadata fields, in index order."""
        for batch in range(self.batch_count()):
            for doc in self.documents(batch):
                yield dict(doc.metadata)

    def all_documents(self) -> Iterator[tuple[str, str, str]]:
        """Every staged document as ``(id, title, text)``, in index order."""
        for batch in range(self.batch_count()):
            for doc in self.documents(batch):
                yield doc.id, doc.title, doc.text

    def remove(self) -> None:
        """Delete the staging folder (after the index is complete)."""
        shutil.rmtree(self.folder, ignore_errors=True)


def _read_state(folder: Path) -> dict[str, Any]:
    """The settings of a staging folder we made; `InputError` for anything else at that path."""
    foreign = (
        f"{folder} is in the way and was not made by splade-search; move it away or index to another --out"
    )
    if folder.is_symlink() or not folder.is_dir():
        raise InputError(foreign)
    try:
        state = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        raise InputError(foreign) from None
    if not isinstance(state, dict) or state.get("format") != STAGING_FORMAT or not isinstance(state.get("settings"), dict):
        raise InputError(foreign)
    return state["settings"]


def _difference(previous: dict[str, Any], settings: dict[str, Any]) -> str:
    changed = [key for key in sorted(set(previous) | set(settings)) if previous.get(key) != settings.get(key)]
    return ", ".join(f"{key}: {previous.get(key)!r} then, {settings.get(key)!r} now" for key in changed[:3])


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
