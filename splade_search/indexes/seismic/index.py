"""The seismic backend: approximate search over learned sparse vectors with Seismic (pyseismic-lsr).

Folder: the common files (see `layout`) plus ``seismic.index.seismic`` (Seismic's own file, see
`engine`) and ``empty_documents.npy`` (the numbers of documents without any term, which Seismic
does not store). The manifest's ``seismic`` record names the variant (``SeismicIndex``, or
``SeismicIndexLV`` for vocabularies over 65,535 tokens), the build settings (see
`settings.BuildSettings`) and the pyseismic-lsr version that wrote the file.

Search modes: ``"approximate"`` is Seismic's search (knobs: `settings.SearchSettings`); its scores
are Seismic's (float32 dot products of the query with the stored float16 document weights), only
recall is approximate. ``"exact"`` scores every stored vector (see `forward`): the same float16
weights, exact results, built in memory on first use; it is the reference ``eval`` measures recall
against, not a fast path (use the csr backend for fast exact search). Filters run after the search,
asking ever deeper until ``k`` allowed hits are found (see `topk.deepened`). Documents cannot be
added or deleted: rebuild the index (``index --backend seismic`` publishes a new generation).
Seismic's search holds the GIL, so one query runs at a time per process.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import IndexFormatError, InputError
from ...progress import progress_note
from ..base import SEARCH_MODES, SparseIndex, TopK
from ..batches import Batch, read_batches
from ..fields import Records, field_columns
from ..generations import check_writable, new_generation
from ..layout import check_metadata, check_vocab, write_index_files
from ..lock import WriteLock
from ..passage_map import PassageMap
from ..storage import load_array, save_array
from ..topk import top_k
from ..validation import check_listed
from . import engine
from .forward import ForwardVectors, RowMap
from .settings import BuildSettings, SearchSettings

EMPTY_FILE = "empty_documents.npy"
_MODES = ("exact", "approximate")


class SeismicIndex(SparseIndex):
    """Seismic's approximate search (and an exhaustive exact reference) behind the `SparseIndex` contract."""

    backend = "seismic"
    _threaded_search = False  # Seismic's search holds the GIL: threads would only add overhead

    def __init__(self, root: Path, folder: Path, manifest: dict[str, Any], verify: bool = True) -> None:
        super().__init__(root, folder, manifest, verify)
        source = f"{folder}/manifest.json"
        record = manifest.get("seismic")
        if not isinstance(record, dict) or record.get("variant") not in engine.VARIANTS:
            raise IndexFormatError(f"{source} lacks a 'seismic' record naming a known variant; rebuild the index")
        expected = engine.variant_for(len(self._vocab))
        if record["variant"] != expected:
            raise IndexFormatError(
                f"{source}: a {len(self._vocab)}-token vocabulary needs {expected}, the manifest says {record['variant']}; rebuild the index"
            )
        try:
            self._settings = BuildSettings.from_manifest(record.get("build"))
        except InputError as exc:
            raise IndexFormatError(f"{source}: 'seismic.build' is not valid ({exc}); rebuild the index") from None
        check_listed(manifest, [engine.FILE_NAME, EMPTY_FILE], folder)
        self._rows = RowMap(load_array(folder, EMPTY_FILE), len(self._doc_ids), str(folder / EMPTY_FILE))
        self._engine = engine.load(folder / engine.FILE_NAME, record["variant"], record.get("package_version"))
        self._check_engine(folder / engine.FILE_NAME)
        self._forward = ForwardVectors(self._engine, self._rows, len(self._vocab))

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
        model: Any = None,
        fields: Records | None = None,
        passages: PassageMap | None = None,
        force: bool = False,
        lock_timeout: float = 0.0,
        knobs: Mapping[str, Any] | None = None,
        threads: int | None = None,
    ) -> SeismicIndex:
        """Index ``(doc_ids, vectors)`` batches at ``path``, published as a new generation of the index there.

        ``knobs``: Seismic build settings (see `settings.BuildSettings`; recorded in the manifest).
        ``threads``: Seismic's build threads (default: every CPU). Negative weights raise `InputError`
        (Seismic's pruning assumes non-negative weights). Other arguments as in `SparseIndex.build`.
        """
        vocab = check_vocab(vocab)
        metadata = check_metadata(metadata)
        settings = cls.check_build_settings(knobs or {})
        variant = engine.variant_for(len(vocab))
        engine.module()  # fail before consuming the batches when Seismic is missing
        check_writable(Path(path), force, verify=False)  # verified under the lock
        with WriteLock(path, lock_timeout), new_generation(Path(path), force=force) as tmp:
            writer = engine.DatasetWriter(variant, len(vocab))
            doc_ids: list[str] = []
            postings = 0
            for ids, rows in read_batches(batches, len(vocab), show_progress):
                if rows.nnz and rows.data.min() < 0:
                    raise InputError("the seismic backend indexes non-negative weights only; use the csr backend")
                writer.add(rows)
                doc_ids.extend(ids)
                postings += rows.nnz
            if not postings:
                raise InputError("no document has any term; there is nothing for Seismic to index")
            progress_note(f"building the Seismic index ({variant}, {postings:,} postings)", show_progress)
            built = writer.build(variant, settings, threads or 0)
            seismic_file = engine.save(built, tmp)
            save_array(tmp, EMPTY_FILE, np.asarray(writer.empty, dtype=np.int64))
            write_index_files(
                tmp,
                backend=cls.backend,
                doc_ids=doc_ids,
                vocab=vocab,
                metadata=metadata,
                num_postings=postings,
                quantization={"dtype": "float16", "scale": None},
                backend_files=[seismic_file, EMPTY_FILE],
                documents=documents,
                show_progress=show_progress,
                model=model,
                fields=field_columns(fields, passages.document_ids if passages is not None else doc_ids),
                passages=passages,
                seismic={"variant": variant, "build": settings.to_dict(), "package_version": engine.package_version()},
            )
        return cls.open(path, verify=False)

    @property
    def variant(self) -> str:
        """The Seismic class holding this index: ``"SeismicIndex"`` or ``"SeismicIndexLV"``."""
        return self.manifest["seismic"]["variant"]

    @property
    def build_settings(self) -> BuildSettings:
        """The settings this index was built with."""
        return self._settings

    @classmethod
    def check_available(cls) -> None:
        engine.module()

    @classmethod
    def check_build_settings(cls, knobs: Mapping[str, Any]) -> BuildSettings:
        """The build settings of ``knobs``; `InputError` for an unknown knob or a bad value."""
        return BuildSettings.from_knobs(knobs)

    @classmethod
    def check_search_settings(cls, mode: str, knobs: Mapping[str, Any]) -> None:
        if mode not in SEARCH_MODES:
            raise InputError(f"unknown search mode {mode!r}; choose one of {', '.join(SEARCH_MODES)}")
        if mode not in _MODES:
            raise InputError(f"the seismic backend offers search modes {' and '.join(_MODES)}, not {mode!r}")
        if mode == "approximate":
            SearchSettings.from_knobs(knobs)
        elif knobs:
            raise InputError(f"search mode 'exact' takes no options, got {', '.join(sorted(knobs))}")

    def _scorer(self, mode: str, knobs: dict[str, Any]) -> TopK:
        if mode == "exact":
            self._forward.term_major()  # read once, here rather than inside the first query (see `prepare`)
            return self._top_k
        settings = SearchSettings.from_knobs(knobs)
        return lambda terms, weights, k: self._seismic_top_k(terms, weights, k, settings)

    def _restricted(self, mode: str, scorer: TopK, allowed: np.ndarray) -> TopK:
        if mode != "exact":
            return super()._restricted(mode, scorer, allowed)
        return lambda terms, weights, k: self._forward.top_k(terms, weights, k, allowed)

    def _seismic_top_k(
        self, terms: np.ndarray, weights: np.ndarray, k: int, settings: SearchSettings
    ) -> tuple[np.ndarray, np.ndarray]:
        if weights.min() < 0:
            raise InputError("the seismic backend's approximate search takes non-negative query weights only")
        order = np.argsort(terms)
        terms, weights = terms[order], weights[order].astype(np.float32)
        query_cut = len(terms) if settings.query_cut is None else settings.query_cut
        hits = self._engine.search("q", engine.query_tokens(terms), weights, min(k, len(self)), query_cut, settings.heap_factor)
        numbers = np.array([int(hit[2]) for hit in hits], dtype=np.int64)
        scores = np.array([hit[1] for hit in hits], dtype=np.float32)
        found = scores != 0
        return top_k(numbers[found], scores[found], k)

    def _top_k(self, terms: np.ndarray, weights: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        return self._forward.top_k(terms, weights, k)

    def _doc_weights(self, terms: np.ndarray, doc_number: int) -> np.ndarray:
        return self._forward.doc_weights(terms, doc_number)

    def _check_engine(self, path: Path) -> None:
        """Raise `IndexFormatError` unless the loaded Seismic index holds what the manifest says."""
        found = {"documents": self._engine.len, "postings": self._engine.nnz, "dimensions": self._engine.dim}
        expected = {"documents": self._rows.rows, "postings": self.manifest["num_postings"], "dimensions": len(self._vocab)}
        wrong = [f"{name} {found[name]} (expected {expected[name]})" for name in found if found[name] != expected[name]]
        if wrong:
            raise IndexFormatError(f"{path} does not belong to this index: it holds {', '.join(wrong)}; rebuild the index")
