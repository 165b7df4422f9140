"""Evaluate a model through a real index (csr or lucene): quality, sparsity, size and speed in one record.

Quality: a run of the top ``k`` documents per judged query (all queries encoded in one batch and
searched in one call, whose throughput is the *batch QPS*), scored with
:func:`~splade_search.eval.metrics.evaluate_run`. Speed: after ``warmup`` untimed queries, each
query is encoded and then searched on its own, one thread, giving latency stats for query
encoding and for search. Both searches use the retriever's search mode; a mode other than
``"exact"`` also reports its recall against exact search of the same query vectors
(``recall_vs_exact``). Sparsity: query vectors as the retriever prepares them, documents as the index
stores them (``avg_flops`` needs per-term document counts, read from csr indexes only).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..data import BeirData
from ..errors import InputError
from ..indexes import IndexStats, SparseIndex, check_search_settings
from ..indexes.document_search import DocumentResult
from .evaluators.sparsity import avg_flops
from .latency import LatencyStats, time_each, torch_threads
from .metrics import DEFAULT_K_VALUES, evaluate_run



@dataclass
class IndexEvaluation:
    """Quality, sparsity, size and speed of one system (model + index, or a pipeline) on one query set.

    Systems that are not one sparse index (dense, hybrid, reranked; see `pipeline_eval`) have no
    ``query_encoding`` (``search`` is then end to end, query encoding included) and no sparsity;
    a hybrid or reranked system has no ``index`` either.
    """

    system: str
    dataset: str
    backend: str
    k: int
    queries: int
    metrics: dict[str, float]
    index: IndexStats | None
    query_encoding: LatencyStats | None
    search: LatencyStats
    batch_qps: float
    batch_encode_seconds: float
    sparsity: dict[str, float | None]
    indexing: dict[str, float] | None = None
    data: dict[str, int] = field(default_factory=dict)
    search_mode: str = "exact"
    search_knobs: dict[str, Any] = field(default_factory=dict)
    recall_vs_exact: dict[str, float] | None = None
    run: dict[str, dict[str, float]] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (without the run)."""
        return {
            "system": self.system,
            "dataset": self.dataset,
            "backend": self.backend,
            "k": self.k,
            "queries": self.queries,
            "metrics": dict(self.metrics),
            "sparsity": dict(self.sparsity),
            "index": self.index.to_dict() if self.index is not None else None,
            "indexing": dict(self.indexing) if self.indexing else None,
            "query_encoding": self.query_encoding.to_dict() if self.query_encoding is not None else None,
            "search": self.search.to_dict(),
            "batch_qps": self.batch_qps,
            "batch_encode_seconds": self.batch_encode_seconds,
            "data": dict(self.data),
            "search_mode": self.search_mode,
            "search_knobs": dict(self.search_knobs),
            "recall_vs_exact": dict(self.recall_vs_exact) if self.recall_vs_exact is not None else None,
        }


def evaluate_retriever(
    retriever: Any,
    data: BeirData,
    *,
    k: int = 100,
    ignore_identical_ids: bool = False,
    query_max_length: int | None = None,
    warmup: int = 10,
    latency_queries: int | None = 1000,
    system: str = "",
    indexing: Any = None,
) -> IndexEvaluation:
    """Evaluate a :class:`~splade_search.retrieval.SparseRetriever` on the judged queries of ``data``.

    ``ignore_identical_ids`` drops a hit whose id equals the query id (searching ``k + 1`` deep so
    that ``k`` remain). ``query_max_length`` truncates queries (the model's setting is restored
    afterwards). ``latency_queries`` caps the queries timed one by one (None: all). ``indexing``: the
    :class:`~splade_search.retrieval.indexing.IndexingReport` of the index, to report encode and build time.
    Searches use the retriever's ``mode`` and ``knobs``; other modes than ``"exact"`` get ``recall_vs_exact``.
    """
    if not isinstance(k, int) or k < 1:
        raise InputError(f"k must be a positive integer, got {k!r}")
    query_ids = list(data.queries)
    if not query_ids:
        raise InputError(f"{data.name or 'the data'} has no judged query to evaluate")
    texts = [data.queries[qid] for qid in query_ids]
    index: SparseIndex = retriever.index
    depth = k + 1 if ignore_identical_ids else k
    with query_length(retriever.model, query_max_length):
        start = time.perf_counter()
        vectors = retriever.encode_queries(texts)
        batch_encode_seconds = time.perf_counter() - start
        start = time.perf_counter()
        results = retriever.search_vectors(vectors, k=depth)
        batch_seconds = time.perf_counter() - start
        timed = texts if latency_queries is None else texts[:latency_queries]
        encoding, search = _latencies(retriever, [vectors[i] for i in range(len(timed))], timed, depth, warmup)
    run = {qid: dict(zip(r.ids, np.asarray(r.scores, dtype=float).tolist())) for qid, r in zip(query_ids, results)}
    run = without_self_hits(run, k) if ignore_identical_ids else run
    evaluation = evaluate_run(data.qrels, run, k_values(k))
    stats = index.stats()
    compared = None if retriever.mode == "exact" else recall_vs_exact(results, index.search_documents(vectors, k=depth), k)
    return IndexEvaluation(
        system=system or str(index.path),
        dataset=data.name,
        backend=stats.backend,
        k=k,
        queries=len(query_ids),
        metrics=evaluation.aggregate,
        index=stats,
        query_encoding=encoding,
        search=search,
        batch_qps=len(query_ids) / batch_seconds if batch_seconds > 0 else float("inf"),
        batch_encode_seconds=batch_encode_seconds,
        sparsity=sparsity_stats(vectors, index),
        indexing=indexing_summary(indexing),
        data={**data.stats, "queries_without_results": sum(1 for hits in run.values() if not hits)},
        search_mode=retriever.mode,
        search_knobs=retriever.knobs,
        recall_vs_exact=compared,
        run=run,
    )


def evaluate_model(
    model: Any,
    data: BeirData,
    index_path: str | Path,
    *,
    backend: str = "csr",
    max_length: int | None = None,
    batch_size: int = 32,
    model_reference: str | None = None,
    show_progress: bool = False,
    backend_options: dict[str, Any] | None = None,
    mode: str = "exact",
    knobs: Mapping[str, Any] | None = None,
    **options: Any,
) -> IndexEvaluation:
    """Index the corpus of ``data`` with ``model`` at ``index_path`` (see `index_model`), then :func:`evaluate_retriever`.

    ``options`` go to :func:`evaluate_retriever` (``k``, ``query_max_length``, ``ignore_identical_ids``...).
    """
    retriever, report = index_model(
        model, data, index_path, backend=backend, max_length=max_length, batch_size=batch_size, model_reference=model_reference,
        show_progress=show_progress, backend_options=backend_options, mode=mode, knobs=knobs,
    )
    options.setdefault("system", model_reference or str(index_path))
    return evaluate_retriever(retriever, data, indexing=report, **options)


def index_model(
    model: Any,
    data: BeirData,
    index_path: str | Path,
    *,
    backend: str = "csr",
    max_length: int | None = None,
    batch_size: int = 32,
    model_reference: str | None = None,
    show_progress: bool = False,
    backend_options: dict[str, Any] | None = None,
    mode: str = "exact",
    knobs: Mapping[str, Any] | None = None,
) -> tuple[Any, Any]:
    """Index the corpus of ``data`` with ``model`` at ``index_path`` (``max_length`` tokens per document):
    ``(SparseRetriever, IndexingReport)``.

    ``mode`` and ``knobs``: the search settings of the retriever (checked against ``backend`` before indexing).
    """
    from ..retrieval import SparseRetriever, index_corpus

    check_search_settings(backend, mode, knobs)
    report = index_corpus(
        model,
        data.corpus.values(),
        index_path,
        backend=backend,
        model_reference=model_reference,
        batch_size=batch_size,
        max_length=max_length,
        total=len(data.corpus),
        show_progress=show_progress,
        backend_options=backend_options,
    )
    return SparseRetriever(model, report.index, mode=mode, knobs=knobs), report


def recall_vs_exact(found: list[DocumentResult], exact: list[DocumentResult], k: int) -> dict[str, float]:
    """How much of exact search's top-10 and top-``k`` the same ranks of ``found`` hold (``{"@10": ..., "@k": ...}``).

    Each is the mean over queries with exact hits of the share of those hits found (1.0 when no
    query has any).
    """
    return {"@10": _overlap(found, exact, min(10, k)), "@k": _overlap(found, exact, k)}


def sparsity_stats(queries: sp.csr_matrix, index: SparseIndex) -> dict[str, float | None]:
    """Query and corpus active dims and sparsity ratios, and ``avg_flops`` (None when the index cannot tell per-term counts)."""
    queries = sp.csr_matrix(queries)
    rows, width = queries.shape
    query_active = queries.nnz / rows if rows else 0.0
    stats = index.stats()
    corpus_active = stats.avg_doc_terms
    term_counts = corpus_term_counts(index)
    flops = None
    if term_counts is not None:
        query_counts = np.bincount(queries.indices, minlength=width).astype(np.float64)
        flops = avg_flops(query_counts, rows, term_counts, stats.documents)
    return {
        "query_active_dims": query_active,
        "query_sparsity_ratio": 1.0 - query_active / width if width else 1.0,
        "corpus_active_dims": corpus_active,
        "corpus_sparsity_ratio": 1.0 - corpus_active / stats.vocab_size if stats.vocab_size else 1.0,
        "avg_flops": flops,
    }


def corpus_term_counts(index: SparseIndex) -> np.ndarray | None:
    """Documents per vocabulary term, from the posting lists of a csr index (None for other backends)."""
    if index.backend != "csr":
        return None
    return np.diff(np.asarray(index.postings.indptr)).astype(np.float64)


@contextmanager
def query_length(model: Any, max_length: int | None) -> Iterator[None]:
    """Encode with ``max_length`` tokens inside the block, restoring the model's own limit after it
    (a model without a token limit, such as BM25's, is left as it is)."""
    if max_length is None or not hasattr(model, "max_seq_length"):
        yield
        return
    previous = model.max_seq_length
    model.max_seq_length = max_length
    try:
        yield
    finally:
        model.max_seq_length = previous


def _latencies(retriever: Any, vectors: list[Any], texts: list[str], depth: int, warmup: int) -> tuple[LatencyStats, LatencyStats]:
    """Per-query encoding and search latency, one query and one thread at a time, after warm-up."""
    with torch_threads(1):
        encoding = time_each(lambda text: retriever.encode_queries([text]), texts, warmup=warmup)
    search = time_each(lambda vector: retriever.search_vectors(vector, k=depth, threads=1), vectors, warmup=warmup)
    return LatencyStats.from_seconds(encoding), LatencyStats.from_seconds(search)


def _overlap(found: list[DocumentResult], exact: list[DocumentResult], depth: int) -> float:
    shares = [
        len(set(got.ids[:depth]) & set(want.ids[:depth])) / min(len(want), depth)
        for got, want in zip(found, exact, strict=True)
        if len(want)
    ]
    return float(np.mean(shares)) if shares else 1.0


def without_self_hits(run: Mapping[str, Mapping[str, float]], k: int) -> dict[str, dict[str, float]]:
    """``run`` without the hit whose id equals its query id, ``k`` hits per query at most."""
    return {qid: dict([(doc_id, score) for doc_id, score in hits.items() if doc_id != qid][:k]) for qid, hits in run.items()}


def k_values(k: int) -> list[int]:
    """The cut-offs metrics are reported at for a run ``k`` deep."""
    return sorted({value for value in DEFAULT_K_VALUES if value <= k} | {k})


def indexing_summary(report: Any) -> dict[str, float] | None:
    """Documents, encode and build seconds, documents per second of an `IndexingReport` (``None`` without one)."""
    if report is None:
        return None
    return {
        "documents": report.documents,
        "encode_seconds": report.encode_seconds,
        "build_seconds": report.build_seconds,
        "docs_per_second": report.docs_per_second,
    }
