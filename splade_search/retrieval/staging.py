"""Encoded batches kept on disk while a corpus is being indexed, so an interrupted run can resume.

``<index>.partial/`` holds ``state.json`` (what is being indexed, how) and, per finished batch,
``batch_<n>.npz`` (CSR arrays, loaded with ``allow_pickle=False``) and ``batch_<n>.jsonl``
(id, title, text). Each file is written under a temporary name and renamed into place.
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

STATE_FILE = "state.json"


class Staging:
    """The finished batches of one indexing run."""

    def __init__(self, folder: Path, settings: dict[str, Any]) -> None:
        self.folder = folder
        self.settings = settings

    @classmethod
    def open(cls, index_path: Path, settings: dict[str, Any], resume: bool) -> "Staging":
        """Resume the staging folder of ``index_path`` if its settings match, else start afresh."""
        folder = index_path.with_name(index_path.name + ".partial")
        state = folder / STATE_FILE
        if folder.exists() and resume and state.exists():
            previous = json.loads(state.read_text(encoding="utf-8"))
            if previous.get("settings") != settings:
                raise InputError(
                    f"{folder} holds a partial run with other settings ({previous.get('settings')}); "
                    "rerun with the same options, or pass --restart to start over"
                )
            return cls(folder, settings)
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        _write_atomic(state, json.dumps({"settings": settings}, indent=2).encode())
        return cls(folder, settings)

    def batch_count(self) -> int:
        """How many batches are complete (vectors and documents both written)."""
        count = 0
        while (self.folder / f"batch_{count:06d}.jsonl").exists():
            count += 1
        return count

    def staged_ids(self, batch: int) -> list[str]:
        """The document ids of a finished batch."""
        return [doc.id for doc in self.documents(batch)]

    def write(self, batch: int, docs: list[Document], rows: sp.csr_matrix) -> None:
        """Store one encoded batch; the ``.jsonl`` is written last and marks it complete."""
        rows = rows.tocsr()
        npz = self.folder / f"batch_{batch:06d}.npz"
        tmp = npz.with_suffix(".tmp.npz")
        np.savez(tmp, indptr=rows.indptr, indices=rows.indices, data=rows.data.astype(np.float32), shape=np.array(rows.shape))
        os.replace(tmp, npz)
        lines = "".join(json.dumps({"id": d.id, "title": d.title, "text": d.text}, ensure_ascii=False) + "\n" for d in docs)
        _write_atomic(self.folder / f"batch_{batch:06d}.jsonl", lines.encode("utf-8"))

    def vectors(self, batch: int) -> sp.csr_matrix:
        """The CSR rows of a finished batch."""
        with np.load(self.folder / f"batch_{batch:06d}.npz", allow_pickle=False) as arrays:
            shape = tuple(int(x) for x in arrays["shape"])
            return sp.csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), shape=shape)

    def documents(self, batch: int) -> list[Document]:
        """The documents of a finished batch."""
        with open(self.folder / f"batch_{batch:06d}.jsonl", encoding="utf-8") as f:
            return [Document(**json.loads(line)) for line in f]

    def batches(self) -> Iterator[tuple[list[str], sp.csr_matrix]]:
        """Every finished batch as ``(doc_ids, vectors)``."""
        for batch in range(self.batch_count()):
            yield self.staged_ids(batch), self.vectors(batch)

    def all_documents(self) -> Iterator[tuple[str, str, str]]:
        """Every staged document as ``(id, title, text)``, in index order."""
        for batch in range(self.batch_count()):
            for doc in self.documents(batch):
                yield doc.id, doc.title, doc.text

    def remove(self) -> None:
        """Delete the staging folder (after the index is complete)."""
        shutil.rmtree(self.folder, ignore_errors=True)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
