"""Change an existing index with its own model: sync it with a changed corpus, add documents, delete documents.

Each works under the index's write lock and publishes one new generation: sync on the csr backend,
add and delete on every backend that offers them (csr, milvus).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ..data.documents import Document
from ..errors import InputError
from ..indexes import SparseIndex
from ..indexes.fields import flatten
from ..passages import PassageSettings
from ..indexes.sync import SyncReport, SyncedDocument, iter_synced, sync_index
from ..sparse import to_scipy_csr
from .indexing import projection_dtype
from .rows import RowEncoder, document_text
from .model_record import FINGERPRINT_KEY, fingerprint
from .vocabulary import prepare_rows, score_space


def sync_corpus(
    model: Any,
    read: Callable[[], Iterable[Document]],
    path: str | Path,
    *,
    batch_size: int = 32,
    chunk_size: int = 256,
    lock_timeout: float = 0.0,
    on_encoded: Callable[[int], None] | None = None,
) -> SyncReport:
    """Make the index at ``path`` hold the documents ``read()`` yields, encoding only new or changed ones.

    ``read`` is called twice: once to sync, once more before publishing, to make sure the corpus did
    not change meanwhile. ``model`` must be the one the index was built with, with the same settings
    (length, projection precision); otherwise `InputError` says to rebuild. The result equals a full
    rebuild of the corpus (same ids, vectors, stored fields and hits).
    """
    index = SparseIndex.open(path)
    if index.backend != "csr":
        edits = "use add and delete, or rebuild it" if type(index).add.__func__ is not SparseIndex.add.__func__ else "rebuild it"
        raise InputError(f"syncing with a corpus works on csr indexes; {index.path} is a {index.backend} index: {edits}")
    if isinstance(index.metadata.get("max_length"), int):
        model.max_seq_length = index.metadata["max_length"]  # the length the index was encoded with
    _check_same_settings(index, model)
    settings = index.passages.settings if index.passages is not None else None
    rows = RowEncoder(
        model,
        score_space(model),
        batch_size=batch_size,
        max_active_dims=index.metadata.get("max_active_dims"),
        passages=PassageSettings.from_dict(settings) if settings is not None else None,
    )

    def encode(documents: list[SyncedDocument]) -> Any:
        chunk = rows.encode([Document(d[0], d[1], d[2]) for d in documents])
        return chunk.rows, chunk.spans

    return sync_index(
        path,
        iter_synced(read()),
        encode,
        chunk_size=chunk_size,
        reread=lambda: iter_synced(read()),
        lock_timeout=lock_timeout,
        on_encoded=on_encoded,
    )


def _check_same_settings(index: SparseIndex, model: Any) -> None:
    """Refuse a model or settings other than the index's: its vectors would not match the kept ones."""
    recorded = index.metadata
    now = {
        FINGERPRINT_KEY: fingerprint(model),
        "max_length": model.max_seq_length,
        "projection_dtype": projection_dtype(model),
        "similarity": score_space(model),
    }
    changed = [name for name, value in now.items() if name in recorded and recorded[name] != value]
    if changed:
        raise InputError(
            f"the index {index.path} was built with other settings ({', '.join(changed)} differ); "
            "rebuild it instead of updating it"
        )


def add_documents(model: Any, documents: Iterable[Document], path: str | Path, *, batch_size: int = 32) -> SparseIndex:
    """Encode ``documents`` with ``model`` (the index's own, same settings) and append them to the index at ``path``.

    Works on backends that can add (csr, milvus); others raise `InputError`.
    """
    index = SparseIndex.open(path)
    if isinstance(index.metadata.get("max_length"), int):
        model.max_seq_length = index.metadata["max_length"]
    _check_same_settings(index, model)
    docs = list(documents)
    if not docs:
        raise InputError("there are no documents to add")
    vectors = model.encode_document(
        [document_text(d) for d in docs],
        batch_size=batch_size,
        max_active_dims=index.metadata.get("max_active_dims"),
        convert_to_sparse_tensor=True,
        save_to_cpu=True,
    )
    rows = prepare_rows(to_scipy_csr(vectors), score_space(model))
    stored = [(d.id, d.title, d.text) for d in docs] if index.documents is not None else None
    records = [flatten(d.metadata) for d in docs]
    return type(index).add(
        path, [([d.id for d in docs], rows)], documents=stored, fields=records if any(records) else None, show_progress=False
    )


def delete_documents(ids: Iterable[str], path: str | Path) -> SparseIndex:
    """Remove the documents ``ids`` from the index at ``path`` (unknown ids: `InputError`, nothing changes).

    Works on backends that can delete (csr, milvus); others raise `InputError`.
    """
    index = SparseIndex.open(path, verify=False)  # kept open meanwhile: a backend's connection is shared, not restarted
    return type(index).delete(path, ids)
