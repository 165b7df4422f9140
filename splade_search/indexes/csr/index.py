"""The default in-process backend: term-major posting lists in memory-mapped numpy arrays.

Files besides the common ones (see `layout`): ``postings_indptr.npy`` (int64, vocab size + 1: where
each term's postings start), ``postings_docs.npy`` (document numbers, ascending within a term) and
``postings_weights.npy`` (stored weights, dtype per `quantization`); with ``storage="compact"`` the
same postings are kept delta-encoded and deflated in blocks (see `compact`), decoded block by block
as searches need them (`blocks`). A query is scored exactly by gathering only its terms' posting
lists and summing ``query weight x document weight`` per document (one sparse matrix-vector
product); nothing is pruned.
Search modes ``"pruned"`` (same results, less work) and ``"approximate"`` live in `search_modes`.
`CsrIndex.add` and `CsrIndex.delete` publish a new generation of the index (see `update`, `generations`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp

from . import compact, update
from .. import edits
from .blocks import BlockPostings
from ..base import SparseIndex, TopK
from ..batches import Batch, read_batches
from ..fields import FieldColumns, Records, field_columns
from ..passage_map import PassageMap
from ..layout import check_metadata, check_vocab, write_index_files
from .postings import Postings
from .quantization import Quantization, parse_mode, recipe_for, restore
from .runs import SortedRuns
from .search_modes import SearchModes, check_knobs
from .writers import PLAIN_FILES, open_writer, write_postings, write_quantized
from ..generations import new_generation
from ..lock import WriteLock
from ...progress import progress_bar
from ..storage import load_array
from ..topk import top_k_dense
from ..validation import check_listed, check_postings

_RUNS = "runs"  # sorted runs of a build, inside the new generation's folder until they are merged
Documents = Iterable[tuple[str, str, str]]


class _Contents(NamedTuple):
    """Everything one generation of a csr index is written from, besides its postings."""

    doc_ids: list[str]
    vocab: list[str]
    metadata: dict[str, Any]
    quantization: Quantization
    num_postings: int
    documents: Documents | None
    storage: str
    model: Any
    fields: FieldColumns | None = None
    passages: PassageMap | None = None

    @classmethod
    def like(
        cls,
        index: CsrIndex,
        doc_ids: list[str],
        postings: Postings,
        documents: Documents | None,
        fields: FieldColumns | None,
    ) -> _Contents:
        """The contents of ``index`` with other documents: same vocabulary, settings and kept model."""
        return cls(
            doc_ids,
            index.vocab,
            index.metadata,
            index.quantization,
            len(postings.docs),
            documents,
            index.storage,
            index.model_folder,
            fields,
        )

    def write(self, folder: Path, backend: str, files: list[str], extra: dict[str, Any], show_progress: bool) -> None:
        """Write the files every index has (see `write_index_files`) beside the postings ``files``."""
        write_index_files(
            folder,
            backend=backend,
            doc_ids=self.doc_ids,
            vocab=self.vocab,
            metadata=self.metadata,
            num_postings=self.num_postings,
            quantization=self.quantization.to_dict(),
            backend_files=files,
            documents=self.documents,
            show_progress=show_progress,
            model=self.model,
            fields=self.fields,
            passages=self.passages,
            **extra,
        )


class CsrIndex(SparseIndex):
    """Exact dot-product search over posting lists held in numpy arrays."""

    backend = "csr"

    def __init__(self, root: Path, folder: Path, manifest: dict[str, Any], verify: bool = True) -> None:
        super().__init__(root, folder, manifest, verify)
        self._quantization = Quantization.from_dict(manifest["quantization"], f"{folder}/manifest.json")
        self._storage = compact.storage_of(folder, manifest)
        self._blocks: BlockPostings | None = None
        self._docs: np.ndarray | None
        self._weights: np.ndarray | None
        if self._storage == "plain":
            self._indptr, self._docs, self._weights = (load_array(folder, name) for name in PLAIN_FILES)
        else:
            dtype = self._quantization.numpy_dtype
            found = compact.open_postings(folder, manifest, len(self._vocab), len(self._doc_ids), dtype)
            if isinstance(found, BlockPostings):
                self._blocks, self._indptr, self._docs, self._weights = found, found.indptr, None, None
            else:
                self._indptr, self._docs, self._weights = found
        if self._blocks is None:
            self._check_arrays()
        self._decoding = threading.Lock()
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
        model: Any = None,
        fields: Records | None = None,
        passages: PassageMap | None = None,
        force: bool = False,
        lock_timeout: float = 0.0,
        quantization: str | None = None,
        storage: str | None = None,
    ) -> CsrIndex:
        """Index ``(doc_ids, vectors)`` batches at ``path``, published as a new generation of the index there.

        ``quantization``: ``None`` (float32), ``"float16"``, ``"int8"`` or ``"uint8"`` (see
        `quantization`). ``storage``: ``"plain"`` (default: arrays memory-mapped from disk) or
        ``"compact"`` (2-3x fewer bytes on disk, blocks decoded as searches need them; see `compact`); `add`
        and `delete` keep it. ``documents``: optional ``(id, title, text)`` triples in the same
        order as the vectors. ``model``, ``fields``, ``force``, ``lock_timeout``: see `SparseIndex.build`. Batches
        are validated as they arrive (`read_batches`); any error leaves the index at ``path`` as it was.
        Memory stays bounded whatever the corpus size: postings go to sorted runs on disk (inside the
        new generation's folder) as they arrive and are merged into the final files (see `runs`).
        """
        vocab = check_vocab(vocab)
        metadata = check_metadata(metadata)
        mode = parse_mode(quantization)
        layout = compact.parse_storage(storage)
        with new_generation(Path(path), force=force, lock_timeout=lock_timeout) as tmp:
            with SortedRuns(tmp / _RUNS, len(vocab)) as runs:
                for ids, rows in read_batches(batches, len(vocab), show_progress):
                    runs.add(ids, rows)
                doc_ids = runs.doc_ids
                columns = field_columns(fields, passages.document_ids if passages is not None else doc_ids)
                recipe = recipe_for(mode, runs.peak, runs.lowest)
                merging = show_progress and runs.n_runs > 1
                with open_writer(tmp, layout, len(doc_ids), recipe.numpy_dtype) as writer:
                    with progress_bar("merging runs", runs.n_postings, unit="postings", enabled=merging) as advance:
                        n_postings = write_quantized(writer, runs.merged(), recipe, advance)
                    files, extra = writer.finish()
            contents = _Contents(doc_ids, vocab, metadata, recipe, n_postings, documents, layout, model, columns, passages)
            contents.write(tmp, cls.backend, files, extra, show_progress)
        return cls.open(path, verify=False)

    @classmethod
    def add(
        cls,
        path: str | os.PathLike[str],
        batches: Iterable[Batch],
        *,
        documents: Documents | None = None,
        fields: Records | None = None,
        show_progress: bool = True,
        lock_timeout: float = 0.0,
    ) -> CsrIndex:
        """Append documents to the index at ``path`` (a new generation); returns the updated index.

        New ids must not be in the index yet. ``documents`` must be given exactly when the index
        stores documents; ``fields``: the new documents' metadata records (in order), if any.
        Integer-quantized indexes keep their scale: larger weights are refused.
        Holds the index's write lock throughout (waiting up to ``lock_timeout`` seconds for it).
        """
        with WriteLock(path, lock_timeout):
            index = cls.open(path)
            edits.check_editable(index)
            all_documents = edits.extended_documents(index, documents)
            new_ids, postings = update.added_postings(index, batches, show_progress)
            columns = edits.extended_fields(index, new_ids, fields)
            contents = _Contents.like(index, index.doc_ids + new_ids, postings, all_documents, columns)
            return cls._write(path, contents, postings)

    @classmethod
    def delete(cls, path: str | os.PathLike[str], ids: Iterable[str], *, lock_timeout: float = 0.0) -> CsrIndex:
        """Remove documents by id from the index at ``path`` (a new generation); returns the updated index.

        Remaining documents are renumbered in order. Unknown ids raise `InputError` and change nothing.
        """
        with WriteLock(path, lock_timeout):
            index = cls.open(path)
            edits.check_editable(index)
            alive, postings = update.remaining_postings(index, ids)
            doc_ids = [doc_id for doc_id, kept in zip(index.doc_ids, alive.tolist(), strict=True) if kept]
            documents = edits.kept_documents(index, alive)
            columns = edits.kept_fields(index, alive, doc_ids)
            return cls._write(path, _Contents.like(index, doc_ids, postings, documents, columns), postings)

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
        """The read-only posting arrays (stored, not dequantized, weights): memory-mapped, or decoded.

        Compact postings are decoded whole on first use (what pruned and approximate search, add
        and delete need); exact search and explain decode only the blocks their terms use.
        """
        if self._docs is None and self._blocks is not None:
            with self._decoding:
                if self._docs is None:
                    whole = self._blocks.whole()
                    self._weights = whole.weights  # before docs: `_lists` reads docs first
                    self._docs = whole.docs
        return Postings(self._indptr, self._docs, self._weights)  # type: ignore[arg-type]

    def _lists(self, starts: list[int], ends: list[int]) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Documents and stored weights of postings ``starts[i]:ends[i]``, decoding only what they need."""
        docs, weights = self._docs, self._weights
        if docs is None or weights is None:
            return self._blocks.lists(starts, ends)  # type: ignore[union-attr]
        ranges = list(zip(starts, ends, strict=True))
        return [docs[a:b] for a, b in ranges], [weights[a:b] for a, b in ranges]

    @classmethod
    def _write(cls, path: str | os.PathLike[str], contents: _Contents, postings: Postings) -> CsrIndex:
        with new_generation(Path(path)) as tmp:
            dtype = contents.quantization.numpy_dtype
            files, extra = write_postings(tmp, postings, contents.storage, len(contents.doc_ids), dtype)
            contents.write(tmp, cls.backend, files, extra, show_progress=False)
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

    def _restricted(self, mode: str, scorer: TopK, allowed: np.ndarray) -> TopK:
        if mode != "exact":
            return super()._restricted(mode, scorer, allowed)
        return lambda terms, weights, k: self._top_k(terms, weights, k, allowed)

    def _top_k(
        self, terms: np.ndarray, weights: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        starts, ends = self._indptr[terms].tolist(), self._indptr[terms + 1].tolist()
        lengths = np.subtract(ends, starts)
        if not lengths.any():
            return np.empty(0, np.int64), np.empty(0, np.float32)
        offsets = np.zeros(len(terms) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        docs_lists, weight_lists = self._lists(starts, ends)
        docs, stored = np.concatenate(docs_lists), np.concatenate(weight_lists)
        postings = sp.csc_matrix((stored.astype(np.float32, copy=False), docs, offsets), shape=(len(self), len(terms)))
        scores = postings @ self._query_factors(weights)
        if allowed is not None:
            scores *= allowed  # filtered out: score 0, which is never a hit
        return top_k_dense(scores, k)

    def _doc_weights(self, terms: np.ndarray, doc_number: int) -> np.ndarray:
        found = np.zeros(len(terms), dtype=np.float32)
        lists = self._lists(self._indptr[terms].tolist(), self._indptr[terms + 1].tolist())
        for i, (docs, weights) in enumerate(zip(*lists, strict=True)):
            position = int(np.searchsorted(docs, doc_number))
            if position < len(docs) and docs[position] == doc_number:
                found[i] = weights[position]
        return restore(found, self._quantization)

    def _query_factors(self, weights: np.ndarray) -> np.ndarray:
        """Query weights with the dequantization scale folded in, so stored values are used as they are."""
        scale = self._quantization.scale
        return (weights / np.float32(scale) if scale else weights).astype(np.float32, copy=False)

    def _check_arrays(self) -> None:
        """Raise `IndexFormatError` unless the postings are well formed for this vocabulary and corpus."""
        names = compact.files_of(self.manifest) if self._storage == "compact" else PLAIN_FILES
        check_listed(self.manifest, names, self.folder)
        indptr_file, docs_file, weights_file = (self.folder / name for name in names)
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
