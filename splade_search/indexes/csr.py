"""The default in-process backend: term-major posting lists in memory-mapped numpy arrays.

Files besides the common ones (see `layout`): ``postings_indptr.npy`` (int64, vocab size + 1: where
each term's postings start), ``postings_docs.npy`` (document numbers, ascending within a term) and
``postings_weights.npy`` (stored weights, dtype per `quantization`); with ``storage="compact"`` the
same postings are kept delta-encoded and deflated (see `compact`) and decoded into those arrays on
open. A query is scored exactly by gathering only its terms' posting lists and summing ``query
weight x document weight`` per document (one sparse matrix-vector product); nothing is pruned.
Search modes ``"pruned"`` (same results, less work) and ``"approximate"`` live in `search_modes`.
`CsrIndex.add` and `CsrIndex.delete` rewrite an index atomically (see `csr_update`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import IndexFormatError
from . import compact, csr_update
from .base import SparseIndex, TopK
from .batches import Batch, DocMatrixBuilder, read_batches
from .layout import check_metadata, check_vocab, write_index_files
from .postings import Postings, doc_number_dtype, from_doc_major, keep
from .quantization import Quantization, parse_mode, quantize
from .search_modes import SearchModes, check_knobs
from .storage import atomic_folder, load_array, save_array
from .topk import top_k_dense
from .validation import check_listed, check_postings

_INDPTR, _DOCS, _WEIGHTS = "postings_indptr.npy", "postings_docs.npy", "postings_weights.npy"
Documents = Iterable[tuple[str, str, str]]


class CsrIndex(SparseIndex):
    """Exact dot-product search over posting lists held in numpy arrays."""

    backend = "csr"

    def __init__(self, path: Path, manifest: dict[str, Any], verify: bool = True) -> None:
        super().__init__(path, manifest, verify)
        self._quantization = Quantization.from_dict(manifest["quantization"], f"{path}/manifest.json")
        self._storage = compact.storage_of(path, manifest)
        if self._storage == "compact":
            self._indptr, self._docs, self._weights = compact.read_postings(
                path, manifest, len(self._vocab), len(self._doc_ids), self._quantization.numpy_dtype
            )
        else:
            self._indptr = load_array(path, _INDPTR)
            self._docs = load_array(path, _DOCS)
            self._weights = load_array(path, _WEIGHTS)
        self._check_arrays()
        self._modes = SearchModes(self)

    @classmethod
    def build(
        cls,
        path: str | os.PathLike[str],
        batches: Iterable[Batch],
        vocab: list[str],
        *,
        metadata: dict[str, Any] | None = None,
        documents: Documents | None = None,
        show_progress: bool = True,
        quantization: str | None = None,
        storage: str | None = None,
    ) -> CsrIndex:
        """Index ``(doc_ids, vectors)`` batches at ``path``, atomically replacing an index there.

        ``quantization``: ``None`` (float32), ``"float16"``, ``"int8"`` or ``"uint8"`` (see
        `quantization`). ``storage``: ``"plain"`` (default: arrays memory-mapped from disk) or
        ``"compact"`` (2-3x fewer bytes on disk, decoded into memory on open; see `compact`); `add`
        and `delete` keep it. ``documents``: optional ``(id, title, text)`` triples in the same
        order as the vectors, kept in ``<path>/docs``. Batches are validated as they arrive (`read_batches`);
        any error leaves an earlier index at ``path`` untouched.
        """
        vocab = check_vocab(vocab)
        metadata = check_metadata(metadata)
        mode = parse_mode(quantization)
        layout = compact.parse_storage(storage)
        builder = DocMatrixBuilder(len(vocab))
        for ids, rows in read_batches(batches, len(vocab), show_progress):
            builder.add(ids, rows)
        postings = from_doc_major(builder.finish())
        stored, recipe = quantize(postings.weights, mode)
        postings = keep(postings._replace(weights=stored), stored != 0)
        return cls._write(
            path, builder.doc_ids, vocab, metadata, recipe, postings, documents, show_progress, storage=layout
        )

    @classmethod
    def add(
        cls,
        path: str | os.PathLike[str],
        batches: Iterable[Batch],
        *,
        documents: Documents | None = None,
        show_progress: bool = True,
    ) -> CsrIndex:
        """Append documents to the index at ``path`` (atomic rewrite); returns the updated index.

        New ids must not be in the index yet. ``documents`` must be given exactly when the index
        stores documents. Integer-quantized indexes keep their scale: larger weights are refused.
        """
        index = cls.open(path)
        all_documents = csr_update.extended_documents(index, documents)
        new_ids, postings = csr_update.added_postings(index, batches, show_progress)
        return cls._write(
            path,
            index.doc_ids + new_ids,
            index.vocab,
            index.metadata,
            index.quantization,
            postings,
            all_documents,
            storage=index.storage,
        )

    @classmethod
    def delete(cls, path: str | os.PathLike[str], ids: Iterable[str]) -> CsrIndex:
        """Remove documents by id from the index at ``path`` (atomic rewrite); returns the updated index.

        Remaining documents are renumbered in order. Unknown ids raise `InputError` and change nothing.
        """
        index = cls.open(path)
        alive, postings = csr_update.remaining_postings(index, ids)
        doc_ids = [doc_id for doc_id, kept in zip(index.doc_ids, alive.tolist(), strict=True) if kept]
        documents = csr_update.kept_documents(index, alive)
        return cls._write(
            path, doc_ids, index.vocab, index.metadata, index.quantization, postings, documents, storage=index.storage
        )

    @property
    def quantization(self) -> Quantization:
        """How stored weights are encoded."""
        return self._quantization

    @property
    def storage(self) -> str:
        """How postings are kept on disk: ``"plain"`` (memory-mapped arrays) or ``"compact"``."""
        return self._storage

    @property
    def postings(self) -> Postings:
        """The read-only posting arrays (stored, not dequantized, weights): memory-mapped, or decoded."""
        return Postings(self._indptr, self._docs, self._weights)

    @classmethod
    def _write(
        cls,
        path: str | os.PathLike[str],
        doc_ids: list[str],
        vocab: list[str],
        metadata: dict[str, Any],
        quantization: Quantization,
        postings: Postings,
        documents: Documents | None,
        show_progress: bool = False,
        storage: str = "plain",
    ) -> CsrIndex:
        with atomic_folder(path) as tmp:
            if storage == "compact":
                files, fields = compact.FILES, compact.write_postings(tmp, postings, quantization.numpy_dtype)
            else:
                files, fields = [_INDPTR, _DOCS, _WEIGHTS], {}
                save_array(tmp, _INDPTR, postings.indptr.astype(np.int64))
                save_array(tmp, _DOCS, postings.docs.astype(doc_number_dtype(len(doc_ids))))
                save_array(tmp, _WEIGHTS, postings.weights)
            write_index_files(
                tmp,
                backend=cls.backend,
                doc_ids=doc_ids,
                vocab=vocab,
                metadata=metadata,
                num_postings=len(postings.docs),
                quantization=quantization.to_dict(),
                backend_files=files,
                documents=documents,
                show_progress=show_progress,
                **fields,
            )
        return cls.open(path, verify=False)

    @classmethod
    def check_search_settings(cls, mode: str, knobs: Mapping[str, Any]) -> None:
        if mode in ("pruned", "approximate"):
            check_knobs(mode, dict(knobs))
        else:
            super().check_search_settings(mode, knobs)

    def _scorer(self, mode: str, knobs: dict[str, Any]) -> TopK:
        if mode == "exact":
            return super()._scorer(mode, knobs)
        return self._modes.scorer(mode, knobs)

    def _top_k(self, terms: np.ndarray, weights: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        starts, ends = self._indptr[terms].tolist(), self._indptr[terms + 1].tolist()
        lengths = np.subtract(ends, starts)
        if not lengths.any():
            return np.empty(0, np.int64), np.empty(0, np.float32)
        offsets = np.zeros(len(terms) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        docs = np.concatenate([self._docs[a:b] for a, b in zip(starts, ends, strict=True)])
        stored = np.concatenate([self._weights[a:b] for a, b in zip(starts, ends, strict=True)])
        postings = sp.csc_matrix((stored.astype(np.float32, copy=False), docs, offsets), shape=(len(self), len(terms)))
        scores = postings @ self._query_factors(weights)
        return top_k_dense(scores, k)

    def _doc_weights(self, terms: np.ndarray, doc_number: int) -> np.ndarray:
        found = np.zeros(len(terms), dtype=np.float32)
        for i, term in enumerate(terms.tolist()):
            start, end = int(self._indptr[term]), int(self._indptr[term + 1])
            position = start + int(np.searchsorted(self._docs[start:end], doc_number))
            if position < end and self._docs[position] == doc_number:
                found[i] = self._weights[position]
        scale = self._quantization.scale
        return found / np.float32(scale) if scale else found

    def _query_factors(self, weights: np.ndarray) -> np.ndarray:
        """Query weights with the dequantization scale folded in, so stored values are used as they are."""
        scale = self._quantization.scale
        return (weights / np.float32(scale) if scale else weights).astype(np.float32, copy=False)

    def _check_arrays(self) -> None:
        """Raise `IndexFormatError` unless the postings are well formed for this vocabulary and corpus."""
        names = compact.FILES if self._storage == "compact" else [_INDPTR, _DOCS, _WEIGHTS]
        check_listed(self.manifest, names, self.path)
        indptr_file, docs_file, weights_file = (self.path / name for name in names)
        check_postings(
            self._indptr,
            self._docs,
            self._weights,
            n_terms=len(self._vocab),
            n_docs=len(self._doc_ids),
            n_postings=self.manifest["num_postings"],
            weight_dtype=self._quantization.numpy_dtype,
            files=(indptr_file, docs_file, weights_file),
        )
