"""`BM25Retriever`: BM25 search of a BM25 index folder, by Lucene (Anserini) or in-process.

Both implementations read the same folder (see `indexing`) and agree: the in-process one scores the
csr postings (Lucene's BM25 weights) with the query's term counts, so every csr search mode works and
hits can be explained term by term; the Lucene one asks Anserini's ``SimpleSearcher``, the field's
reference, and is available when the index was built with it and Java is installed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..data.documents import Document
from ..errors import BackendUnavailableError, IndexFormatError, IndexMismatchError, InputError
from ..indexes import SparseIndex, as_csr, check_search_settings
from ..indexes.document_search import DocumentResult
from ..retrieval.hits import Hit, Retriever, check_k, check_queries
from .analyzer import Analyzer
from .encoder import DEFAULT_B, DEFAULT_K1, BM25Encoder
from .indexing import IMPLEMENTATIONS, LUCENE_FOLDER, index_bm25, resolve_implementation
from .marker import MODEL_NAME, is_bm25_index


class BM25Retriever(Retriever):
    """Search a BM25 index; safe to call from several threads (Lucene serves them one at a time).

    ``implementation``: ``"lucene"``, ``"inprocess"``, or ``"auto"`` (Lucene when the index holds a
    Lucene index and Java is installed, else in-process). ``mode``, ``knobs``: the csr search mode of
    the in-process implementation (`SparseIndex.search`); Lucene offers ``"exact"`` only.
    """

    name = "bm25"

    def __init__(
        self, index: SparseIndex, *, implementation: str = "auto", mode: str = "exact", knobs: Mapping[str, Any] | None = None
    ) -> None:
        if not is_bm25_index(index):
            raise IndexMismatchError(f"{index.path} is not a BM25 index (its metadata records model {index.metadata.get('model')!r})")
        if index.model_folder is None:
            raise IndexFormatError(f"{index.path} records a BM25 model but keeps no model folder; rebuild the index")
        self.index = index
        self.encoder = BM25Encoder.load(index.model_folder)
        self.implementation = _choose(index, implementation)
        check_search_settings("lucene" if self.implementation == "lucene" else index.backend, mode, knobs)
        self._mode, self._knobs = mode, dict(knobs or {})
        self._numbers = {doc_id: number for number, doc_id in enumerate(index.doc_ids)}
        self._lucene = None
        if self.implementation == "lucene":
            from .lucene import LuceneBM25Searcher

            self._lucene = LuceneBM25Searcher(index.model_folder / LUCENE_FOLDER, self.encoder.k1, self.encoder.b, self.encoder.analyzer)
        self.report: Any = None

    @classmethod
    def build(
        cls,
        documents: Iterable[Document],
        path: str | Path,
        *,
        implementation: str = "auto",
        k1: float = DEFAULT_K1,
        b: float = DEFAULT_B,
        analyzer: Analyzer | None = None,
        threads: int | None = None,
        show_progress: bool = False,
        force: bool = False,
        mode: str = "exact",
        knobs: Mapping[str, Any] | None = None,
    ) -> BM25Retriever:
        """Index ``documents`` at ``path`` (see `indexing.index_bm25`) and return a retriever on it.

        The indexing report (documents, analysis and build seconds) is kept as ``report``.
        """
        chosen = resolve_implementation(implementation)
        report = index_bm25(
            documents, path, implementation=chosen, k1=k1, b=b, analyzer=analyzer, threads=threads,
            show_progress=show_progress, force=force,
        )
        retriever = cls(report.index, implementation=chosen, mode=mode, knobs=knobs)
        retriever.report = report
        return retriever

    @classmethod
    def open(
        cls,
        path: str | Path,
        *,
        implementation: str = "auto",
        verify: bool = True,
        mode: str = "exact",
        knobs: Mapping[str, Any] | None = None,
    ) -> BM25Retriever:
        """Open the BM25 index at ``path`` (``verify``: check every file's checksum)."""
        return cls(SparseIndex.open(path, verify=verify), implementation=implementation, mode=mode, knobs=knobs)

    @property
    def model(self) -> BM25Encoder:
        """The fitted BM25 statistics (what encodes queries), as a sparse retriever's model."""
        return self.encoder

    @property
    def mode(self) -> str:
        """The search mode."""
        return self._mode

    @property
    def knobs(self) -> dict[str, Any]:
        """The search mode's options (a copy)."""
        return dict(self._knobs)

    def encode_queries(self, queries: list[str]) -> Any:
        """Query vectors (term counts over the index vocabulary, scipy CSR), as `search_vectors` takes them."""
        return self.encoder.encode_queries(queries)

    def search_vectors(
        self, vectors: Any, k: int = 10, *, threads: int | None = None, filter: Any = None
    ) -> list[DocumentResult]:
        """Top-``k`` documents for query vectors from `encode_queries`.

        ``filter``: a metadata filter (see `indexes.filters`; in-process implementation only).
        """
        if self._lucene is None:
            return self.index.search_documents(vectors, k, threads=threads, mode=self._mode, filter=filter, **self._knobs)
        self._refuse_filter(filter)
        vocab, results = self.index.vocab, []
        matrix = as_csr(vectors)
        if matrix.shape[1] != len(vocab):
            raise IndexMismatchError(f"query vectors have {matrix.shape[1]} columns, the BM25 vocabulary {len(vocab)}; use encode_queries")
        for start, end in zip(matrix.indptr[:-1], matrix.indptr[1:], strict=True):
            terms, weights = matrix.indices[start:end].tolist(), matrix.data[start:end].tolist()
            counts = {vocab[t]: float(w) for t, w in zip(terms, weights) if w}
            results.append(self._result(self._lucene.search_terms(counts, check_k(k))))
        return results

    def search(
        self, queries: str | list[str], k: int = 10, *, explain: bool = False, filter: Any = None
    ) -> list[Hit] | list[list[Hit]]:
        """Top-``k`` hits per query (a list for one string, a list of lists for several).

        ``explain``: fill each hit's ``terms`` with the query terms it matched, as query count x BM25
        weight. ``filter``: only documents whose metadata passes it (in-process implementation only).
        """
        single = isinstance(queries, str)
        batch = check_queries([queries] if single else list(queries))
        check_k(k)
        results = self.search_batch(batch, k, explain=explain, filter=filter) if batch else []
        return results[0] if single else results

    def search_batch(self, queries: list[str], k: int = 10, *, explain: bool = False, filter: Any = None) -> list[list[Hit]]:
        results = self._results(queries, k, filter)
        vectors = self.encode_queries(queries) if explain else None
        index = self.index
        all_hits = []
        for row, result in enumerate(results):
            hits = []
            for rank, (doc_id, score, number) in enumerate(zip(result.ids, result.scores.tolist(), result.documents.tolist()), 1):
                stored = index.documents[number] if index.documents is not None else None
                hit = Hit(
                    id=doc_id,
                    score=float(score),
                    rank=rank,
                    title=stored.title if stored else "",
                    text=stored.text if stored else "",
                    doc_number=number,
                    metadata=index.fields.record(number) if index.fields is not None else {},
                )
                if vectors is not None:
                    hit.terms = index.explain(vectors[row], number)
                hits.append(hit)
            all_hits.append(hits)
        return all_hits

    def run(self, queries: dict[str, str], k: int = 10, *, filter: Any = None) -> dict[str, dict[str, float]]:
        """A run (``{query_id: {doc_id: score}}``) for many queries, e.g. for evaluation or a TREC file."""
        ids = list(queries)
        if not ids:
            return {}
        results = self._results(check_queries([queries[q] for q in ids]), check_k(k), filter)
        return {qid: dict(zip(r.ids, r.scores.astype(float).tolist())) for qid, r in zip(ids, results)}

    def _results(self, queries: list[str], k: int, filter: Any = None) -> list[DocumentResult]:
        if self._lucene is None:
            return self.search_vectors(self.encode_queries(queries), k=k, filter=filter)
        self._refuse_filter(filter)
        if len(queries) == 1:  # Anserini's batch search starts a thread pool per call
            return [self._result(self._lucene.search(queries[0], k))]
        return [self._result(pairs) for pairs in self._lucene.search_batch(queries, k)]

    def _result(self, pairs: list[tuple[str, float]]) -> DocumentResult:
        try:
            numbers = np.array([self._numbers[doc_id] for doc_id, _ in pairs], dtype=np.int64)
        except KeyError as exc:
            raise IndexFormatError(f"the Lucene index of {self.index.path} holds document {exc} the index lacks; rebuild it") from None
        scores = np.array([score for _, score in pairs], dtype=np.float32)
        return DocumentResult([doc_id for doc_id, _ in pairs], scores, numbers, numbers)

    def _refuse_filter(self, filter: Any) -> None:
        if filter is not None:
            raise InputError(
                "the Lucene BM25 implementation does not filter on metadata; open the index with "
                "implementation 'inprocess' (--bm25-impl inprocess) to filter"
            )


def _choose(index: SparseIndex, implementation: str) -> str:
    """The implementation to search ``index`` with (see `BM25Retriever`)."""
    if implementation not in IMPLEMENTATIONS:
        raise InputError(f"unknown BM25 implementation {implementation!r}; choose one of {', '.join(IMPLEMENTATIONS)}")
    has_lucene = index.metadata[MODEL_NAME].get("implementation") == "lucene" and any(
        name.startswith(f"model/{LUCENE_FOLDER}/") for name in index.manifest.get("files", {})
    )
    if implementation == "inprocess" or (implementation == "auto" and not has_lucene):
        return "inprocess"
    if not has_lucene:
        raise IndexMismatchError(
            f"{index.path} was built with the in-process BM25 implementation and holds no Lucene index; "
            "rebuild it with implementation 'lucene' (--bm25-impl lucene) or search it in-process"
        )
    if implementation == "auto":
        try:
            from .lucene import check_available

            check_available()
        except BackendUnavailableError:
            return "inprocess"
    return "lucene"
