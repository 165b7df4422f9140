"""DenseRetriever: index documents with a dense model and search them with it (the dense leg of a hybrid)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..data.documents import Document
from ..errors import IndexMismatchError, InputError
from ..indexes.base import SearchResult
from ..progress import progress_bar
from ..retrieval.hits import Hit, Retriever, check_k, check_queries
from ..retrieval.indexing import IndexingReport
from ..retrieval.rows import document_text
from ..retrieval.model_record import FINGERPRINT_KEY, fingerprint
from .encoder import DEFAULT_DENSE_MODEL, DenseEncoder
from .index import DenseIndex, check_dense_settings

DEFAULT_CHUNK = 1024


class DenseRetriever(Retriever):
    """Encode queries with a `DenseEncoder` and search a `DenseIndex` (``mode`` ``"exact"`` or ``"hnsw"``)."""

    name = "dense"

    def __init__(
        self, model: DenseEncoder, index: DenseIndex, *, mode: str = "exact", knobs: Mapping[str, Any] | None = None, batch_size: int = 32
    ) -> None:
        if model.dimension != index.dimension:
            raise IndexMismatchError(f"the model gives {model.dimension}-d vectors but the index {index.path} holds {index.dimension}-d ones")
        if model.similarity_fn_name != index.similarity:
            raise IndexMismatchError(f"the index {index.path} was built for {index.similarity!r} scores, the model uses {model.similarity_fn_name!r}")
        self._knobs = check_dense_settings(mode, knobs)
        self.model, self.index, self.mode, self.batch_size = model, index, mode, batch_size
        if mode == "hnsw":
            index.graph(self._knobs["m"], self._knobs["ef_construction"])  # built now, not on the first query
        self.report: Any = None

    @property
    def knobs(self) -> dict[str, Any]:
        """The search mode's options (a copy)."""
        return dict(self._knobs)

    @classmethod
    def build(
        cls,
        model: DenseEncoder | str | None,
        documents: Iterable[Document | tuple[str, str, str]],
        path: str | os.PathLike[str],
        *,
        model_reference: str | None = None,
        batch_size: int = 32,
        chunk_size: int = DEFAULT_CHUNK,
        store_documents: bool = True,
        force: bool = False,
        lock_timeout: float = 0.0,
        mode: str = "exact",
        knobs: Mapping[str, Any] | None = None,
        show_progress: bool = False,
    ) -> "DenseRetriever":
        """Encode ``documents`` (title + text, BEIR-style) with ``model`` (default ``"minilm"``) into a dense index at ``path``.

        The index records the model's reference and a fingerprint of its weights, so `open` loads the
        same model again. Published as a new generation, like every index (one writer at a time).
        ``show_progress``: a progress bar of the encoding on stderr. The indexing report (documents,
        encode and build seconds) is kept as ``report``.
        """

        encoder = model if isinstance(model, DenseEncoder) else DenseEncoder(model or DEFAULT_DENSE_MODEL)
        reference = model_reference or encoder.model_name_or_path or encoder.model_path
        check_dense_settings(mode, knobs)
        docs = [_as_document(d) for d in documents]
        metadata = {
            "model": str(reference) if reference else None,
            "model_path": encoder.model_path,
            FINGERPRINT_KEY: fingerprint(encoder),
            "max_length": encoder.max_seq_length,
        }

        encoding = [0.0]

        def batches(advance: Callable[[int], None]) -> Iterable[tuple[list[str], np.ndarray]]:
            for start in range(0, len(docs), chunk_size):
                chunk = docs[start : start + chunk_size]
                began = time.perf_counter()
                rows = encoder.encode_document([document_text(d) for d in chunk], batch_size=batch_size)
                encoding[0] += time.perf_counter() - began
                yield [d.id for d in chunk], rows
                advance(len(chunk))

        stored = ((d.id, d.title, d.text) for d in docs) if store_documents else None
        began = time.perf_counter()
        with progress_bar("encoding", len(docs), enabled=show_progress) as advance:
            index = DenseIndex.build(
                path, batches(advance), similarity=encoder.similarity_fn_name, metadata=metadata, documents=stored, force=force,
                lock_timeout=lock_timeout,
            )
        retriever = cls(encoder, index, mode=mode, knobs=knobs, batch_size=batch_size)
        retriever.report = IndexingReport(index, len(docs), 0, encoding[0], time.perf_counter() - began - encoding[0])
        return retriever

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        model: DenseEncoder | str | None = None,
        *,
        verify: bool = True,
        mode: str = "exact",
        knobs: Mapping[str, Any] | None = None,
    ) -> "DenseRetriever":
        """Open the dense index at ``path`` with the model it records (or ``model``: a name or an encoder).

        A recorded model whose weights changed since the index was built is refused (`IndexMismatchError`).
        """
        index = DenseIndex.open(path, verify=verify)
        if isinstance(model, DenseEncoder):
            return cls(model, index, mode=mode, knobs=knobs)
        reference = model or index.metadata.get("model") or index.metadata.get("model_path")
        if not reference:
            raise InputError(f"the dense index {Path(path)} records no model; pass one explicitly")
        encoder = DenseEncoder(str(reference))
        expected = index.metadata.get(FINGERPRINT_KEY)
        if model is None and expected and fingerprint(encoder) != expected:
            raise IndexMismatchError(
                f"the model {reference} has changed since the dense index {Path(path)} was built; rebuild the index or pass the original model"
            )
        return cls(encoder, index, mode=mode, knobs=knobs)

    def encode_queries(self, queries: list[str]) -> np.ndarray:
        """Query rows as the index scores them."""
        return self.model.encode_query(queries, batch_size=self.batch_size)

    def search_vectors(self, vectors: np.ndarray, k: int = 10) -> list[SearchResult]:
        """Top-``k`` index results for query rows, in this retriever's mode."""
        return self.index.search(vectors, k, mode=self.mode, **self._knobs)

    def search_batch(self, queries: list[str], k: int = 10) -> list[list[Hit]]:
        docs = self.index.documents
        all_hits = []
        for result in self.search_vectors(self.encode_queries(queries), k):
            hits = []
            for rank, (doc_id, score, number) in enumerate(zip(result.ids, result.scores.tolist(), result.indices.tolist()), start=1):
                stored = docs[number] if docs is not None else None
                hits.append(
                    Hit(id=doc_id, score=float(score), rank=rank, title=stored.title if stored else "", text=stored.text if stored else "", doc_number=number)
                )
            all_hits.append(hits)
        return all_hits

    def run(self, queries: dict[str, str], k: int = 10) -> dict[str, dict[str, float]]:
        """A run (``{query_id: {doc_id: score}}``) without reading stored documents."""
        ids = list(queries)
        if not ids:
            return {}
        results = self.search_vectors(self.encode_queries(check_queries([queries[q] for q in ids])), check_k(k))
        return {qid: dict(zip(r.ids, r.scores.astype(float).tolist())) for qid, r in zip(ids, results)}


def _as_document(doc: Any) -> Document:
    if isinstance(doc, Document):
        return doc
    if isinstance(doc, tuple) and len(doc) == 3 and all(isinstance(part, str) for part in doc):
        return Document(*doc)
    raise InputError(f"documents must be Document records or (id, title, text) triples, got {str(doc)[:80]!r}")
