"""The `SparseIndex` interface shared by every backend, and the values its methods return.

An index maps sparse vectors (one column per vocabulary token) of documents to ids, and answers
sparse queries with the exact top-k by dot product. Ranking rule, identical in every backend: score
descending, then internal document number (build order) ascending. A document is a hit only when
its score is non-zero, so a query without terms, or whose terms no document has, gets an empty
result. `SparseIndex.open` reads any index folder and returns the backend class its manifest names.
"""

from __future__ import annotations

import importlib
import os
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar, NamedTuple, TypeVar

import numpy as np
import scipy.sparse as sp

from ..errors import IndexFormatError, IndexMismatchError, InputError
from .batches import Batch
from .convert import as_csr
from .docstore import DocStore
from .document_search import DocumentResult, search_documents
from .generations import open_snapshot
from .fields import FIELDS_FOLDER, FieldColumns, Records
from .filters import Filter, parse_filter
from .layout import DOCS_FOLDER, INDEX_FORMAT, MODEL_FOLDER, read_index_files
from .manifest import read_manifest
from .passage_map import PASSAGES_FOLDER, PassageMap
from .topk import TopK, deepened

__all__ = [
    "SEARCH_MODES",
    "IndexStats",
    "SearchResult",
    "SparseIndex",
    "TermContribution",
    "as_csr",
    "build_index",
    "check_backend",
    "check_build_settings",
    "check_search_settings",
]

BACKENDS = {
    "csr": "splade_search.indexes.csr:CsrIndex",
    "lucene": "splade_search.indexes.lucene:LuceneIndex",
    "milvus": "splade_search.indexes.milvus:MilvusIndex",
    "seismic": "splade_search.indexes.seismic:SeismicIndex",
}
_MAX_THREADS = 8
SEARCH_MODES = ("exact", "pruned", "approximate")
IndexT = TypeVar("IndexT", bound="SparseIndex")


@dataclass(frozen=True, eq=False)
class SearchResult:
    """The hits of one query, best first."""

    ids: list[str]
    scores: np.ndarray  # float32, descending
    indices: np.ndarray  # int64 internal document numbers

    def __len__(self) -> int:
        return len(self.ids)


class TermContribution(NamedTuple):
    """How much one term shared by a query and a document adds to the document's score."""

    token: str
    query_weight: float
    doc_weight: float
    contribution: float


@dataclass(frozen=True)
class IndexStats:
    """Size and shape of an index."""

    backend: str
    documents: int
    postings: int
    vocab_size: int
    avg_doc_terms: float
    bytes_on_disk: int
    quantization: str
    scale: float | None
    passages: int | None = None  # rows, for an index built with passages (``avg_doc_terms`` is then per passage)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return asdict(self)


class SparseIndex(ABC):
    """An opened, read-only index of sparse document vectors; safe to search from several threads."""

    backend: ClassVar[str]
    _threaded_search: ClassVar[bool] = True

    def __init__(self, root: Path, folder: Path, manifest: dict[str, Any], verify: bool = True) -> None:
        """Load the generation ``folder`` of the index at ``root``, whose manifest has been read and checked.

        Use `open` or `build` instead. Every file is opened here, so the index keeps serving this
        snapshot even after a writer publishes a newer generation.
        """
        self.path = root
        self.folder = folder
        self.manifest = manifest
        self._doc_ids, self._vocab = read_index_files(folder, manifest)
        self._passages = _passage_map(folder, manifest, len(self._doc_ids))
        n_documents = self._passages.num_documents if self._passages is not None else len(self._doc_ids)
        if (folder / DOCS_FOLDER).is_symlink():
            raise IndexFormatError(f"{folder / DOCS_FOLDER} is a symbolic link; an index keeps its documents inside")
        self._documents = DocStore(folder / DOCS_FOLDER, verify=verify) if manifest.get("has_documents") else None
        if self._documents is not None and len(self._documents) != n_documents:
            raise IndexFormatError(f"{folder / DOCS_FOLDER} stores {len(self._documents)} documents, the index has {n_documents}")
        self._fields = FieldColumns.open(folder / FIELDS_FOLDER, n_documents) if manifest.get("has_fields") else None
        self._bytes_on_disk = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())

    @classmethod
    def open(cls: type[IndexT], path: str | os.PathLike[str], *, verify: bool = True) -> IndexT:
        """Open the live generation of the index at ``path`` with the backend its manifest names.

        ``verify`` checks every file's SHA-256 (sizes and structure are always checked). Raises
        `IndexFormatError` for a missing, damaged or unknown index, or when called on a subclass of
        another backend.
        """
        root = Path(path)

        def opener(folder: Path) -> IndexT:
            manifest = read_manifest(folder, INDEX_FORMAT, verify)
            backend = manifest.get("backend")
            if backend not in BACKENDS:
                raise IndexFormatError(f"{root} uses unknown backend {backend!r}; known: {', '.join(BACKENDS)}")
            impl = _backend_class(backend)
            if not issubclass(impl, cls):
                raise IndexFormatError(f"{root} is a {backend!r} index; open it with SparseIndex.open")
            return impl(root, folder, manifest, verify)  # type: ignore[return-value]

        return open_snapshot(root, opener)

    @classmethod
    @abstractmethod
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
    ) -> SparseIndex:
        """Index ``(doc_ids, vectors)`` batches at ``path``, published as a new generation of the index there.

        ``model``: an encoder to keep inside the index (``model.save`` is called). ``fields``: one
        metadata mapping per document, in order, stored for filters and hits (see `fields`). ``passages``:
        when the batches' rows are passages, the documents they belong to (see `passage_map`). ``force``: write
        into a folder that is not provably an index (nothing of its own is deleted). ``lock_timeout``:
        seconds to wait for another writer (see `lock.WriteLock`).
        """

    @classmethod
    def add(
        cls,
        path: str | os.PathLike[str],
        batches: Iterable[Batch],
        *,
        documents: Iterable[tuple[str, str, str]] | None = None,
        fields: Records | None = None,
        show_progress: bool = True,
        lock_timeout: float = 0.0,
    ) -> SparseIndex:
        """Append documents to the index at ``path`` (a new generation); returns the updated index.

        New ids must not be in the index yet; ``documents`` must be given exactly when the index stores
        documents; ``fields``: the new documents' metadata records. Backends that cannot add raise `InputError`.
        """
        raise InputError(f"the {cls.backend} backend cannot add documents to an index; rebuild it with all of them")

    @classmethod
    def delete(cls, path: str | os.PathLike[str], ids: Iterable[str], *, lock_timeout: float = 0.0) -> SparseIndex:
        """Remove documents by id from the index at ``path`` (a new generation); returns the updated index.

        Unknown ids raise `InputError` and change nothing. Backends that cannot delete raise `InputError`.
        """
        raise InputError(f"the {cls.backend} backend cannot delete documents from an index; rebuild it without them")

    @property
    def doc_ids(self) -> list[str]:
        """Document ids by internal document number."""
        return self._doc_ids

    @property
    def vocab(self) -> list[str]:
        """Token string of each column id."""
        return self._vocab

    @property
    def metadata(self) -> dict[str, Any]:
        """The free-form metadata given at build time."""
        return self.manifest.get("metadata", {})

    @property
    def documents(self) -> DocStore | None:
        """Titles and texts stored at build time, or ``None`` when none were given."""
        return self._documents

    @property
    def passages(self) -> PassageMap | None:
        """For an index built with passages, which document each row belongs to; ``None`` otherwise."""
        return self._passages

    @property
    def document_ids(self) -> list[str]:
        """Ids of the documents (``doc_ids`` are the rows' ids: passages, in an index built with passages)."""
        return self._passages.document_ids if self._passages is not None else self._doc_ids

    def search_documents(self, queries: Any, k: int = 10, **options: Any) -> list[DocumentResult]:
        """Top-``k`` documents per query: passage hits aggregated per document (see `document_search`)."""
        return search_documents(self, queries, k, **options)

    @property
    def fields(self) -> FieldColumns | None:
        """The documents' stored metadata fields, or ``None`` when none were given."""
        return self._fields

    def filter_mask(self, spec: Any) -> np.ndarray | None:
        """The mask of documents (not passages) that pass the filter ``spec`` (see `filters.parse_filter`);
        ``None`` for no filter."""
        parsed = parse_filter(spec)
        return None if parsed is None else parsed.mask(self._filterable_fields())

    def _filterable_fields(self) -> FieldColumns:
        """The stored fields a filter tests; `InputError` when the index stores none."""
        if self._fields is None:
            raise InputError(f"the index {self.path} stores no metadata fields to filter on; index documents with metadata")
        return self._fields

    @property
    def model_folder(self) -> Path | None:
        """The model kept inside this generation (see `layout.MODEL_FOLDER`), or ``None``."""
        return self.folder / MODEL_FOLDER if self.manifest.get("has_model") else None

    def __len__(self) -> int:
        return len(self._doc_ids)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r}, documents={len(self)}, vocab={len(self._vocab)})"

    def search(
        self,
        queries: Any,
        k: int = 10,
        *,
        threads: int | None = None,
        mode: str = "exact",
        allowed: np.ndarray | None = None,
        filter: Any = None,
        **knobs: Any,
    ) -> list[SearchResult]:
        """Top-``k`` hits for each query row, in row order.

        ``queries``: anything `as_csr` accepts (a single 1-D vector counts as one query), with one
        column per vocabulary token. ``threads``: worker threads for several queries (default: up to
        the number of CPUs). ``mode`` (see `SEARCH_MODES`): ``"exact"`` scores every posting of the
        query terms; ``"pruned"`` returns the same hits while skipping documents that cannot reach
        the top-k; ``"approximate"`` trades recall for speed, tuned by ``knobs`` (csr backend: see
        `approximate.ApproximateSettings`). ``allowed``: a boolean mask over document numbers;
        only allowed documents are ranked, inside the top-k (a filtered query still gets ``k`` hits
        when ``k`` allowed documents match). ``filter``: a metadata filter (see `filters`), applied
        the same way, together with ``allowed``. Raises `IndexMismatchError` for a width other than the
        vocabulary size, `InputError` for a mode or knob the backend does not offer.
        """
        matrix = self._query_matrix(queries)
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
            raise InputError(f"k must be a positive integer, got {k!r}")
        scorer = self._mode_scorer(mode, knobs)
        allowed = self._check_allowed(allowed) if allowed is not None else None
        scorer, allowed = self._filtered(scorer, parse_filter(filter), allowed)
        if allowed is not None:
            scorer = self._restricted(mode, scorer, allowed)
        rows = [
            (matrix.indices[start:end], matrix.data[start:end])
            for start, end in zip(matrix.indptr[:-1], matrix.indptr[1:], strict=True)
        ]
        workers = min(threads or os.cpu_count() or 1, len(rows), _MAX_THREADS) if self._threaded_search else 1
        if workers <= 1:
            return [self._search_row(terms, weights, int(k), scorer) for terms, weights in rows]
        with ThreadPoolExecutor(workers) as pool:
            return list(pool.map(lambda row: self._search_row(row[0], row[1], int(k), scorer), rows))

    def explain(self, query: Any, doc_number: int) -> list[TermContribution]:
        """The terms ``query`` shares with document ``doc_number``, largest contribution first."""
        matrix = self._query_matrix(query)
        if matrix.shape[0] != 1:
            raise InputError(f"explain takes one query, got {matrix.shape[0]}")
        if not 0 <= doc_number < len(self):
            raise InputError(f"document number {doc_number} out of range for an index of {len(self)}")
        terms, weights = matrix.indices, self._scored_weights(matrix.data)
        doc_weights = self._doc_weights(terms, int(doc_number))
        contributions = weights * doc_weights
        shared = np.flatnonzero(contributions)
        order = shared[np.lexsort((terms[shared], -contributions[shared]))]
        return [
            TermContribution(self._vocab[terms[i]], float(weights[i]), float(doc_weights[i]), float(contributions[i]))
            for i in order
        ]

    def stats(self) -> IndexStats:
        """Counts, disk size and quantization of this index."""
        quantization = self.manifest.get("quantization", {})
        postings = int(self.manifest.get("num_postings", 0))
        return IndexStats(
            backend=self.backend,
            documents=len(self.document_ids),
            postings=postings,
            vocab_size=len(self._vocab),
            avg_doc_terms=postings / len(self) if len(self) else 0.0,
            bytes_on_disk=self._bytes_on_disk,
            quantization=str(quantization.get("dtype")),
            scale=quantization.get("scale"),
            passages=len(self) if self._passages is not None else None,
        )

    def _query_matrix(self, queries: Any) -> sp.csr_matrix:
        matrix = as_csr(queries)
        if matrix.shape[1] != len(self._vocab):
            raise IndexMismatchError(
                f"queries have {matrix.shape[1]} columns but the index vocabulary has {len(self._vocab)} tokens; "
                "encode queries with the model the index was built with"
            )
        return matrix

    @classmethod
    def check_available(cls) -> None:
        """Raise `BackendUnavailableError` if this backend cannot run here (backends with dependencies override this)."""

    @classmethod
    def check_search_settings(cls, mode: str, knobs: Mapping[str, Any]) -> None:
        """Raise `InputError` unless this backend offers search ``mode`` with ``knobs``.

        Backends with more modes than ``"exact"`` override this (and `_scorer`).
        """
        if mode not in SEARCH_MODES:
            raise InputError(f"unknown search mode {mode!r}; choose one of {', '.join(SEARCH_MODES)}")
        if mode != "exact":
            raise InputError(f"the {cls.backend} backend offers search mode 'exact' only, not {mode!r}")
        if knobs:
            raise InputError(f"search mode 'exact' takes no options, got {', '.join(sorted(knobs))}")

    @classmethod
    def check_build_settings(cls, knobs: Mapping[str, Any]) -> Any:
        """Raise `InputError` unless this backend's ``build`` takes ``knobs`` (its ``knobs`` argument).

        Backends with build knobs override this and return their parsed settings.
        """
        if knobs:
            raise InputError(f"the {cls.backend} backend takes no build knobs, got {', '.join(sorted(knobs))}")

    def prepare(self, mode: str = "exact", knobs: Mapping[str, Any] | None = None) -> None:
        """Check that this index offers search ``mode`` with ``knobs``, and build now what the mode keeps in
        memory (csr ``"pruned"``/``"approximate"`` structures) instead of on its first query.

        Raises `InputError` for a mode or knob the backend does not offer.
        """
        self._mode_scorer(mode, _knob_dict(knobs))

    def _mode_scorer(self, mode: str, knobs: dict[str, Any]) -> TopK:
        """The top-k function of ``mode``, after the backend's one settings check."""
        self.check_search_settings(mode, knobs)
        return self._scorer(mode, knobs)

    def _scorer(self, mode: str, knobs: dict[str, Any]) -> TopK:
        """The top-k function of checked settings (backends with more modes than ``"exact"`` override this)."""
        return self._top_k

    def _filtered(self, scorer: TopK, spec: Filter | None, allowed: np.ndarray | None) -> tuple[TopK, np.ndarray | None]:
        """``scorer`` and ``allowed`` with the filter ``spec`` applied: here, folded into ``allowed`` as a mask
        over rows (backends that filter natively override this)."""
        passing = self.filter_mask(spec)
        if passing is None:
            return scorer, allowed
        if self._passages is not None:
            passing = passing[self._passages.parents]
        return scorer, passing if allowed is None else allowed & passing

    def _restricted(self, mode: str, scorer: TopK, allowed: np.ndarray) -> TopK:
        """``scorer`` limited to ``allowed`` documents (backends that filter inside a mode override this)."""
        return deepened(scorer, allowed)

    def _check_allowed(self, allowed: Any) -> np.ndarray:
        mask = np.asarray(allowed)
        if mask.dtype != np.bool_ or mask.shape != (len(self),):
            raise InputError(f"allowed must be a boolean mask of {len(self)} documents, got {mask.dtype} {mask.shape}")
        return mask

    def _search_row(self, terms: np.ndarray, weights: np.ndarray, k: int, scorer: TopK) -> SearchResult:
        if len(terms):
            numbers, scores = scorer(terms, weights, k)
        else:
            numbers, scores = np.empty(0, np.int64), np.empty(0, np.float32)
        return SearchResult(
            ids=[self._doc_ids[n] for n in numbers.tolist()],
            scores=scores.astype(np.float32, copy=False),
            indices=numbers.astype(np.int64, copy=False),
        )

    def _scored_weights(self, weights: np.ndarray) -> np.ndarray:
        """Query weights as the backend scores them (backends that quantize queries override this)."""
        return weights

    @abstractmethod
    def _top_k(self, terms: np.ndarray, weights: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Doc numbers and scores of the best ``k`` non-zero-scored documents for one query."""

    @abstractmethod
    def _doc_weights(self, terms: np.ndarray, doc_number: int) -> np.ndarray:
        """The stored weight of each of ``terms`` in one document (0 where absent), as float32."""


def check_search_settings(backend: str, mode: str, knobs: Mapping[str, Any] | None = None) -> None:
    """Raise `InputError` unless a ``backend`` index offers search ``mode`` with ``knobs`` (no index needed)."""
    if backend not in BACKENDS:
        raise InputError(f"unknown index backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    _backend_class(backend).check_search_settings(mode, _knob_dict(knobs))


def check_build_settings(backend: str, knobs: Mapping[str, Any] | None = None) -> None:
    """Raise `InputError` unless a ``backend`` index is built with ``knobs`` (no index needed)."""
    if backend not in BACKENDS:
        raise InputError(f"unknown index backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    _backend_class(backend).check_build_settings(_knob_dict(knobs))


def _knob_dict(knobs: Mapping[str, Any] | None) -> dict[str, Any]:
    """``knobs`` as a dict; `InputError` unless a mapping of names to values (or ``None``)."""
    if knobs is not None and (not isinstance(knobs, Mapping) or not all(isinstance(name, str) for name in knobs)):
        raise InputError(f"knobs must be a mapping of names to values, got {knobs!r}")
    return dict(knobs or {})


def _passage_map(folder: Path, manifest: dict[str, Any], rows: int) -> PassageMap | None:
    record = manifest.get("passages")
    if record is None:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("num_documents"), int) or record["num_documents"] < 1:
        raise IndexFormatError(f"{folder}/manifest.json: 'passages' must record a positive num_documents")
    return PassageMap.open(folder / PASSAGES_FOLDER, rows, record["num_documents"])


def check_backend(backend: str) -> None:
    """Raise unless ``backend`` names a backend that can run here: `InputError` for an unknown name,
    `BackendUnavailableError` when its packages or runtime are missing (checked before any work)."""
    if backend not in BACKENDS:
        raise InputError(f"unknown index backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    _backend_class(backend).check_available()


def _backend_class(backend: str) -> type[SparseIndex]:
    module_name, class_name = BACKENDS[backend].split(":")
    return getattr(importlib.import_module(module_name), class_name)


def build_index(
    path: str | os.PathLike[str],
    batches: Iterable[Batch],
    vocab: list[str],
    *,
    backend: str = "csr",
    **options: Any,
) -> SparseIndex:
    """Build an index with the named backend (see `BACKENDS`); ``options`` go to its ``build``."""
    if backend not in BACKENDS:
        raise InputError(f"unknown index backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    return _backend_class(backend).build(path, batches, vocab, **options)
