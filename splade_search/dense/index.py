"""DenseIndex: a folder of dense document vectors, searched by inner product with faiss.

One generation of a dense index (published like every index, see `indexes.generations`) holds::

    manifest.json   format "splade-search-dense-index": dimension, similarity, counts, checksums
    doc_ids.txt     one id per line, in row order
    vectors.npy     float32 [num_docs, dimension], pickle-free, memory-mapped on open
    docs/           the stored documents (optional, a `DocStore`)

Nothing executable or pickled is read: the faiss structures are built on open from the matrix.
Search modes: ``"exact"`` (faiss brute-force inner product over the mapped matrix: the true top-k)
and ``"hnsw"`` (a faiss HNSW graph built in memory on first use; knobs ``m``, ``ef_construction``,
``ef_search``), whose recall against exact search `recall_vs_exact` measures. Ranking rule: score
descending, then row number ascending.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import BackendUnavailableError, IndexFormatError, InputError
from ..indexes.base import IndexStats, SearchResult
from ..indexes.docstore import DocStore
from ..indexes.generations import new_generation, open_snapshot
from ..indexes.layout import DENSE_INDEX_FORMAT, DOC_IDS_FILE, DOCS_FOLDER, check_metadata
from ..indexes.manifest import read_manifest, write_manifest
from ..indexes.storage import MANIFEST_NAME, load_array, read_doc_ids, validate_doc_id, write_doc_ids
from ..indexes.validation import check_fields, check_listed, is_int

VECTORS_FILE = "vectors.npy"
DENSE_MODES = ("exact", "hnsw")
HNSW_DEFAULTS = {"m": 32, "ef_construction": 80, "ef_search": 128}
_PIECE = 1 << 16  # rows checked or copied at a time
_FIELDS = {
    "backend": (lambda v: v == "faiss", '"faiss"'),
    "num_docs": (lambda v: is_int(v) and v > 0, "a positive integer"),
    "dimension": (lambda v: is_int(v) and 0 < v <= 65536, "an integer from 1 to 65536"),
    "similarity": (lambda v: v in ("cosine", "dot"), '"cosine" or "dot"'),
    "has_documents": (lambda v: isinstance(v, bool), "true or false"),
    "metadata": (lambda v: isinstance(v, dict), "an object"),
}


def faiss_module() -> Any:
    """The faiss package, or `BackendUnavailableError` saying how to install it."""
    try:
        import faiss
    except ImportError as exc:
        raise BackendUnavailableError("dense retrieval needs faiss: pip install 'splade-search[faiss]'") from exc
    return faiss


def check_dense_settings(mode: str, knobs: Mapping[str, Any] | None) -> dict[str, int]:
    """The full knob set of ``mode`` (defaults filled in), or `InputError` for an unknown mode or knob."""
    knobs = dict(knobs or {})
    if mode not in DENSE_MODES:
        raise InputError(f"unknown dense search mode {mode!r}; choose one of {', '.join(DENSE_MODES)}")
    if mode == "exact":
        if knobs:
            raise InputError(f"dense search mode 'exact' takes no options, got {', '.join(sorted(knobs))}")
        return {}
    unknown = sorted(set(knobs) - set(HNSW_DEFAULTS))
    if unknown:
        raise InputError(f"unknown hnsw option(s) {', '.join(unknown)}; known: {', '.join(HNSW_DEFAULTS)}")
    settings = {**HNSW_DEFAULTS, **knobs}
    for name, value in settings.items():
        if not is_int(value) or not 2 <= value <= 4096:
            raise InputError(f"hnsw option {name} must be an integer from 2 to 4096, got {value!r}")
    return settings


class DenseIndex:
    """An opened, read-only dense index; safe to search from several threads."""

    def __init__(self, root: Path, folder: Path, manifest: dict[str, Any], verify: bool = True) -> None:
        """Load the generation ``folder`` of the index at ``root`` (use `open` or `build`)."""
        source = folder / MANIFEST_NAME
        check_fields(manifest, _FIELDS, source)
        check_listed(manifest, [DOC_IDS_FILE, VECTORS_FILE], folder)
        self.path, self.folder, self.manifest = root, folder, manifest
        self._doc_ids = read_doc_ids(folder / DOC_IDS_FILE, manifest["num_docs"])
        self._vectors = load_array(folder, VECTORS_FILE)
        _check_vectors(self._vectors, manifest["num_docs"], manifest["dimension"], folder / VECTORS_FILE)
        self._documents = None
        if manifest["has_documents"]:
            if (folder / DOCS_FOLDER).is_symlink():
                raise IndexFormatError(f"{folder / DOCS_FOLDER} is a symbolic link; an index keeps its documents inside")
            self._documents = DocStore(folder / DOCS_FOLDER, verify=verify)
            if len(self._documents) != len(self._doc_ids):
                raise IndexFormatError(f"{folder / DOCS_FOLDER} stores {len(self._documents)} documents, the index has {len(self._doc_ids)}")
        self._graphs: dict[tuple[int, int], Any] = {}
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, verify: bool = True) -> "DenseIndex":
        """Open the live generation of the dense index at ``path`` (``verify``: check every SHA-256)."""
        root = Path(path)
        return open_snapshot(root, lambda folder: cls(root, folder, read_manifest(folder, DENSE_INDEX_FORMAT, verify), verify))

    @classmethod
    def build(
        cls,
        path: str | os.PathLike[str],
        batches: Iterable[tuple[list[str], np.ndarray]],
        *,
        similarity: str = "cosine",
        metadata: dict[str, Any] | None = None,
        documents: Iterable[tuple[str, str, str]] | None = None,
        force: bool = False,
        lock_timeout: float = 0.0,
    ) -> "DenseIndex":
        """Write ``(doc_ids, float32 rows)`` batches as a new generation of the index at ``path`` and open it.

        ``documents``: ``(id, title, text)`` triples in the same order, kept for showing hits.
        ``force`` and ``lock_timeout`` as for `SparseIndex.build`.
        """
        metadata = check_metadata(metadata)
        if similarity not in ("cosine", "dot"):
            raise InputError(f"similarity must be 'cosine' or 'dot', got {similarity!r}")
        root = Path(path)
        with new_generation(root, force=force, lock_timeout=lock_timeout) as folder:
            doc_ids, dimension = _write_vectors(folder, batches)
            write_doc_ids(folder / DOC_IDS_FILE, doc_ids)
            if documents is not None:
                stored = DocStore.write(folder / DOCS_FOLDER, documents)
                if len(stored) != len(doc_ids) or stored.ids() != doc_ids:
                    raise InputError("stored documents must have the same ids, in the same order, as the vectors")
            write_manifest(
                folder, DENSE_INDEX_FORMAT, [DOC_IDS_FILE, VECTORS_FILE], backend="faiss", num_docs=len(doc_ids),
                dimension=dimension, similarity=similarity, has_documents=documents is not None, metadata=metadata,
            )
        return cls.open(root, verify=False)

    @property
    def doc_ids(self) -> list[str]:
        """Document ids by row number."""
        return self._doc_ids

    @property
    def dimension(self) -> int:
        """Width of every vector."""
        return int(self.manifest["dimension"])

    @property
    def similarity(self) -> str:
        """``"cosine"`` (rows are unit length) or ``"dot"``."""
        return str(self.manifest["similarity"])

    @property
    def metadata(self) -> dict[str, Any]:
        """The free-form metadata given at build time (the model, its fingerprint)."""
        return self.manifest["metadata"]

    @property
    def documents(self) -> DocStore | None:
        """Stored titles and texts, or ``None``."""
        return self._documents

    def __len__(self) -> int:
        return len(self._doc_ids)

    def stats(self) -> IndexStats:
        """Size and shape, in the sparse indexes' terms: every document stores ``dimension`` float32 values."""
        values = len(self) * self.dimension
        on_disk = sum(f.stat().st_size for f in self.folder.rglob("*") if f.is_file())
        return IndexStats("faiss", len(self), values, self.dimension, float(self.dimension), on_disk, "float32", None)

    def __repr__(self) -> str:
        return f"DenseIndex({str(self.path)!r}, documents={len(self)}, dimension={self.dimension})"

    def search(self, queries: np.ndarray, k: int = 10, *, mode: str = "exact", **knobs: Any) -> list[SearchResult]:
        """Top-``k`` rows by inner product for each query row (float32 [n, dimension])."""
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise InputError(f"k must be a positive integer, got {k!r}")
        settings = check_dense_settings(mode, knobs)
        matrix = np.ascontiguousarray(np.atleast_2d(np.asarray(queries, dtype=np.float32)))
        if matrix.ndim != 2 or matrix.shape[1] != self.dimension:
            raise InputError(f"query vectors must have {self.dimension} columns, got shape {matrix.shape}")
        if not len(matrix):
            return []
        depth = min(int(k), len(self))
        faiss = faiss_module()
        if mode == "exact":
            scores, numbers = faiss.knn(matrix, self._vectors, depth, faiss.METRIC_INNER_PRODUCT)
        else:
            graph = self.graph(settings["m"], settings["ef_construction"])
            params = faiss.SearchParametersHNSW(efSearch=max(settings["ef_search"], depth))
            scores, numbers = graph.search(matrix, depth, params=params)
        return [self._result(row_scores, row_numbers) for row_scores, row_numbers in zip(scores, numbers)]

    def graph(self, m: int = HNSW_DEFAULTS["m"], ef_construction: int = HNSW_DEFAULTS["ef_construction"]) -> Any:
        """The faiss HNSW graph over the vectors for these settings (built once, then reused)."""
        with self._lock:
            graph = self._graphs.get((m, ef_construction))
            if graph is None:
                faiss = faiss_module()
                graph = faiss.IndexHNSWFlat(self.dimension, m, faiss.METRIC_INNER_PRODUCT)
                graph.hnsw.efConstruction = ef_construction
                for start in range(0, len(self), _PIECE):
                    graph.add(np.ascontiguousarray(self._vectors[start : start + _PIECE]))
                self._graphs[(m, ef_construction)] = graph
            return graph

    def recall_vs_exact(self, queries: np.ndarray, k: int = 10, **knobs: Any) -> float:
        """Mean share of exact search's top-``k`` that ``"hnsw"`` search with ``knobs`` finds (1.0 without hits)."""
        exact = self.search(queries, k)
        found = self.search(queries, k, mode="hnsw", **knobs)
        shares = [len(set(f.indices.tolist()) & set(e.indices.tolist())) / len(e) for f, e in zip(found, exact) if len(e)]
        return float(np.mean(shares)) if shares else 1.0

    def _result(self, scores: np.ndarray, numbers: np.ndarray) -> SearchResult:
        kept = numbers >= 0
        scores, numbers = scores[kept].astype(np.float32), numbers[kept].astype(np.int64)
        order = np.lexsort((numbers, -scores))
        scores, numbers = scores[order], numbers[order]
        return SearchResult(ids=[self._doc_ids[n] for n in numbers.tolist()], scores=scores, indices=numbers)


def _write_vectors(folder: Path, batches: Iterable[tuple[list[str], np.ndarray]]) -> tuple[list[str], int]:
    """Stream batches to a raw file, then into ``vectors.npy``; returns the ids and the dimension."""
    raw = folder / "vectors.raw"
    doc_ids: list[str] = []
    seen: set[str] = set()
    dimension = 0
    with open(raw, "wb") as out:
        for ids, rows in batches:
            rows = np.asarray(rows, dtype=np.float32)
            if rows.ndim != 2 or len(rows) != len(ids) or (dimension and rows.shape[1] != dimension):
                raise InputError(f"a batch of {len(ids)} ids came with vectors of shape {rows.shape}; expected [{len(ids)}, {dimension or 'dim'}]")
            if not np.isfinite(rows).all():
                raise InputError("document vectors hold NaN or infinite values")
            dimension = dimension or rows.shape[1]
            for doc_id in ids:
                if validate_doc_id(doc_id) in seen:
                    raise InputError(f"document id {doc_id!r} appears twice; ids must be unique")
                seen.add(doc_id)
            doc_ids.extend(ids)
            out.write(np.ascontiguousarray(rows).tobytes())
    if not doc_ids:
        raise InputError("the corpus has no documents to index")
    source = np.memmap(raw, dtype=np.float32, mode="r", shape=(len(doc_ids), dimension))
    target = np.lib.format.open_memmap(folder / VECTORS_FILE, mode="w+", dtype=np.float32, shape=source.shape)
    for start in range(0, len(doc_ids), _PIECE):
        target[start : start + _PIECE] = source[start : start + _PIECE]
    target.flush()
    del source, target
    raw.unlink()
    return doc_ids, dimension


def _check_vectors(vectors: np.ndarray, num_docs: int, dimension: int, path: Path) -> None:
    """`IndexFormatError` unless ``vectors`` is finite float32 of shape [num_docs, dimension]."""
    if vectors.dtype != np.float32 or vectors.shape != (num_docs, dimension) or not vectors.flags.c_contiguous:
        raise IndexFormatError(
            f"{path} holds {vectors.dtype} {vectors.shape}, the manifest says C-ordered float32 ({num_docs}, {dimension}); rebuild the index"
        )
    for start in range(0, num_docs, _PIECE):
        if not np.isfinite(vectors[start : start + _PIECE]).all():
            raise IndexFormatError(f"{path} holds NaN or infinite values; the folder is damaged or was crafted, rebuild the index")
