"""The default in-process backend: term-major posting lists in memory-mapped numpy arrays.

Files besides the common ones (see `layout`): ``postings_indptr.npy`` (int64, vocab size + 1: where
each term's postings start), ``postings_docs.npy`` (document numbers, ascending within a term) and
``postings_weights.npy`` (stored weights, dtype per `quantization`). A query is scored exactly by
gathering only its terms' posting lists and summing ``query weight x document weight`` per document
(one sparse matrix-vector product); nothing is pruned.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import IndexFormatError
from .base import SparseIndex
from .batches import Batch, DocMatrixBuilder, read_batches
from .layout import check_metadata, check_vocab, write_index_files
from .quantization import Quantization, parse_mode, quantize
from .storage import atomic_folder, load_array, save_array
from .topk import top_k_dense

_INDPTR, _DOCS, _WEIGHTS = "postings_indptr.npy", "postings_docs.npy", "postings_weights.npy"


class CsrIndex(SparseIndex):
    """Exact dot-product search over posting lists held in numpy arrays."""

    backend = "csr"

    def __init__(self, path: Path, manifest: dict[str, Any]) -> None:
        super().__init__(path, manifest)
        self._quantization = Quantization.from_dict(manifest["quantization"])
        self._indptr = load_array(path, _INDPTR)
        self._docs = load_array(path, _DOCS)
        self._weights = load_array(path, _WEIGHTS)
        self._check_arrays()

    @classmethod
    def _from_folder(cls, folder: Path, manifest: dict[str, Any]) -> CsrIndex:
        return cls(folder, manifest)

    @classmethod
    def build(
        cls,
        path: str | os.PathLike[str],
        batches: Iterable[Batch],
        vocab: list[str],
        *,
        metadata: dict[str, Any] | None = None,
        documents: Iterable[tuple[str, str, str]] | None = None,
        show_progress: bool = True,
        quantization: str | None = None,
    ) -> CsrIndex:
        """Index ``(doc_ids, vectors)`` batches at ``path``, atomically replacing an index there.

        ``quantization``: ``None`` (float32), ``"float16"``, ``"int8"`` or ``"uint8"`` (see
        `quantization`). ``documents``: optional ``(id, title, text)`` triples in the same order as
        the vectors, kept in ``<path>/docs``. Batches are validated as they arrive (`read_batches`);
        any error leaves an earlier index at ``path`` untouched.
        """
        vocab = check_vocab(vocab)
        metadata = check_metadata(metadata)
        mode = parse_mode(quantization)
        builder = DocMatrixBuilder(len(vocab))
        for ids, rows in read_batches(batches, len(vocab), show_progress):
            builder.add(ids, rows)
        postings = builder.finish().tocsc()
        stored, recipe = quantize(postings.data, mode)
        indptr, docs, stored = _drop_zeros(postings.indptr, postings.indices, stored)
        del postings
        with atomic_folder(path) as tmp:
            save_array(tmp, _INDPTR, indptr)
            save_array(tmp, _DOCS, docs)
            save_array(tmp, _WEIGHTS, stored)
            write_index_files(
                tmp,
                backend=cls.backend,
                doc_ids=builder.doc_ids,
                vocab=vocab,
                metadata=metadata,
                num_postings=len(stored),
                quantization=recipe.to_dict(),
                backend_files=[_INDPTR, _DOCS, _WEIGHTS],
                documents=documents,
                show_progress=show_progress,
            )
        return cls.open(path, verify=False)

    def _top_k(self, terms: np.ndarray, weights: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        starts, ends = self._indptr[terms].tolist(), self._indptr[terms + 1].tolist()
        lengths = np.subtract(ends, starts)
        if not lengths.any():
            return np.empty(0, np.int64), np.empty(0, np.float32)
        offsets = np.zeros(len(terms) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        docs = np.concatenate([self._docs[a:b] for a, b in zip(starts, ends)])
        stored = np.concatenate([self._weights[a:b] for a, b in zip(starts, ends)]).astype(np.float32, copy=False)
        postings = sp.csc_matrix((stored, docs, offsets), shape=(len(self), len(terms)))
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
        n_terms, n_postings = len(self._vocab), int(self.manifest["num_postings"])
        if self._indptr.shape != (n_terms + 1,) or int(self._indptr[-1]) != n_postings:
            raise IndexFormatError(f"{self.path / _INDPTR} does not match the manifest's vocabulary and postings")
        if self._docs.shape != (n_postings,) or self._weights.shape != (n_postings,):
            raise IndexFormatError(f"{self.path} posting arrays do not hold {n_postings} postings")
        if self._weights.dtype != self._quantization.numpy_dtype:
            raise IndexFormatError(
                f"{self.path / _WEIGHTS} has dtype {self._weights.dtype}, the manifest says {self._quantization.dtype}"
            )


def _drop_zeros(indptr: np.ndarray, docs: np.ndarray, stored: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Remove postings whose stored weight quantized to zero, keeping the per-term layout."""
    keep = stored != 0
    kept_before = np.zeros(len(keep) + 1, dtype=np.int64)
    np.cumsum(keep, out=kept_before[1:])
    return kept_before[indptr], docs[keep], stored[keep]

