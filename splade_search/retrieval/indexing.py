"""Encode a stream of documents with a SparseEncoder and write them to an index, resumably."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np
from ..data.documents import Document
from ..errors import InputError
from ..indexes import SparseIndex, build_index
from ..indexes.base import check_backend
from ..indexes.fields import FieldColumns, flatten
from ..indexes.generations import check_writable
from ..indexes.lock import WriteLock
from ..indexes.passage_map import PassageMap
from ..passages import PassageSettings
from ..progress import progress_bar
from .model_record import FINGERPRINT_KEY, fingerprint, must_keep_model
from .locations import check_same_corpus
from .rows import RowEncoder, passage_parents
from .sharding import SHARD_KEY, ShardSelection, ShardSpec, plan_shard
from .staging import Staging
from .vocabulary import model_vocabulary, score_space

DEFAULT_CHUNK = 512


@dataclass
class IndexingReport:
    """What an indexing run did."""

    index: SparseIndex
    documents: int
    resumed_documents: int
    encode_seconds: float
    build_seconds: float
    truncated: int | None = None  # documents cut at the model's length (None when indexed as passages)
    passages: int | None = None  # rows written, when indexed as passages
    coerced_fields: list[str] = field(default_factory=list)  # metadata fields holding integers and decimals: stored as decimals

    @property
    def docs_per_second(self) -> float:
        encoded = self.documents - self.resumed_documents
        return encoded / self.encode_seconds if self.encode_seconds > 0 else 0.0


def projection_dtype(model: Any) -> str | None:
    """The precision of a SPLADE model's vocabulary projection (``"float32"`` or ``"bfloat16"``); None for others."""
    from ..modules import SpladePooling

    values = {m.projection_dtype for m in model.modules() if isinstance(m, SpladePooling)}
    if not values:
        return None
    return "bfloat16" if "bfloat16" in values else "float32"


def index_corpus(
    model: Any,
    documents: Iterable[Document],
    path: str | Path,
    *,
    backend: str = "csr",
    model_reference: str | None = None,
    batch_size: int = 32,
    chunk_size: int = DEFAULT_CHUNK,
    max_length: int | None = None,
    max_active_dims: int | None = None,
    resume: bool = True,
    total: int | None = None,
    show_progress: bool = True,
    backend_options: dict[str, Any] | None = None,
    force: bool = False,
    passages: PassageSettings | None = None,
    corpus: str | None = None,
    shard: ShardSpec | None = None,
) -> IndexingReport:
    """Encode ``documents`` in chunks (kept on disk as they finish) and build the index at ``path``.

    An interrupted run leaves ``<path>.partial/``; calling again with the same settings, model and
    documents continues after the last finished chunk (a changed document or model is refused).
    The index's write lock is held from start to end, so a second run on the same ``path`` fails at
    once; the index at ``path`` stays as it was until the new generation is published. A model
    that cannot be reloaded from its reference (see `model_record`) is kept inside the index.
    ``force``: write into a folder that is not provably an index (see `generations.check_writable`).
    ``passages``: index each document as passages cut by the model's tokenizer (see `passages`);
    without it, documents longer than the model reads are counted in the report's ``truncated``.
    ``corpus``: where the documents come from (a resolved path or hub id), recorded in the index's
    metadata; an index at ``path`` recorded from another corpus is only replaced with ``force``.
    ``shard``: encode only this shard's documents (see `sharding`; csr only) into an index that
    `merge.merge_shards` assembles with the other shards; ``backend_options`` then apply to the merged index.
    """
    path = Path(path)
    check_backend(backend)
    selection: ShardSelection | None = None
    if shard is not None:
        selection, shard_record, backend_options = plan_shard(shard, documents, backend, backend_options or {})
        documents, total = selection, shard.size(total) if total is not None else None
    check_writable(path, force, verify=False)  # verified under the lock, before encoding
    check_same_corpus(path, corpus, force)
    if max_length is not None:
        model.max_seq_length = max_length
    space = score_space(model)
    reference = model_reference or getattr(model, "model_name_or_path", None) or getattr(model, "model_path", None)
    reference = str(reference) if reference is not None else None
    settings = {
        "model": reference,
        FINGERPRINT_KEY: fingerprint(model),
        "backend": backend,
        "max_length": model.max_seq_length,
        "max_active_dims": max_active_dims,
        "projection_dtype": projection_dtype(model),
        "chunk_size": chunk_size,
        "passages": passages.to_dict() if passages is not None else None,
    }
    if selection is not None:
        settings[SHARD_KEY] = shard_record
    rows = RowEncoder(model, space, batch_size=batch_size, max_active_dims=max_active_dims, passages=passages)
    with WriteLock(path):
        check_writable(path, force)
        check_same_corpus(path, corpus, force)
        staging = Staging.open(path, settings, resume)
        done = staging.batch_count()
        stream = iter(documents)
        resumed = _skip_finished(stream, staging, done, chunk_size)
        encoded, truncated, start = resumed, 0, time.perf_counter()
        with progress_bar("encoding", total=total, completed=resumed, enabled=show_progress) as advance:
            for batch_number in itertools.count(done):
                docs = list(itertools.islice(stream, chunk_size))
                if not docs:
                    break
                chunk = rows.encode(docs)
                staging.write(batch_number, docs, chunk.rows, chunk.spans)
                truncated += chunk.truncated or 0
                encoded += len(docs)
                advance(len(docs))
        encode_seconds = time.perf_counter() - start
        if encoded == 0:
            staging.remove()
            if selection is not None:
                selection.check_not_empty()
            raise InputError("the corpus has no documents to index")
        metadata = {**settings, "similarity": space, "model_path": getattr(model, "model_path", None), "corpus": corpus}
        if selection is not None:
            metadata[SHARD_KEY] = {**settings[SHARD_KEY], "corpus": selection.fingerprint()}
        start = time.perf_counter()
        columns = _field_columns(staging)
        index = build_index(
            path,
            staging.batches(),
            model_vocabulary(model),
            backend=backend,
            metadata=metadata,
            documents=staging.all_documents(),
            show_progress=show_progress,
            model=model if must_keep_model(model, reference) else None,
            fields=columns,
            passages=_passage_map(staging, passages),
            force=force,
            **(backend_options or {}),
        )
        build_seconds = time.perf_counter() - start
        staging.remove()
    counted = truncated if passages is None and resumed == 0 else None
    rows_written = len(index) if passages is not None else None
    coerced = list(columns.coerced) if columns is not None else []
    return IndexingReport(index, encoded, resumed, encode_seconds, build_seconds, counted, rows_written, coerced)


def _passage_map(staging: Staging, settings: PassageSettings | None) -> PassageMap | None:
    """The rows-to-documents map of a passage index, from the staged spans."""
    if settings is None:
        return None
    ids, spans = [], []
    for batch in range(staging.batch_count()):
        ids += [doc.id for doc in staging.documents(batch)]
        spans += staging.spans(batch) or []
    flat = np.array([span for doc_spans in spans for span in doc_spans], dtype=np.int64).reshape(-1, 2)
    return PassageMap(ids, passage_parents(spans), flat, settings.to_dict())


def _field_columns(staging: Staging) -> FieldColumns | None:
    """The documents' metadata as typed columns, or ``None`` when no document has any."""
    records = [flatten(record) for record in staging.all_metadata()]
    if not any(records):
        return None
    ids = [doc.id for batch in range(staging.batch_count()) for doc in staging.documents(batch)]
    return FieldColumns.from_records(records, ids)


def _skip_finished(stream: Iterable[Document], staging: Staging, done: int, chunk_size: int) -> int:
    """Advance past the documents of finished chunks, checking they are the same documents, text included."""
    skipped = 0
    for batch in range(done):
        staged = staging.documents(batch)
        current = list(itertools.islice(stream, len(staged)))
        if current != staged:
            changed = next((i for i, (a, b) in enumerate(zip(current, staged)) if a != b), min(len(current), len(staged)))
            what = f"document {staged[changed].id!r}" if changed < len(staged) else "the number of documents"
            raise InputError(
                f"the corpus differs from the partial run in {staging.folder} ({what} changed since it was encoded); "
                "pass --restart to index it from scratch"
            )
        skipped += len(staged)
    return skipped
