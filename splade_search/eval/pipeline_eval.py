"""Evaluate any retriever end to end (dense, hybrid, reranked...): quality, latency and, when it has one, index size.

Quality: the top ``k`` hits of every judged query, searched in one batch (whose throughput is the
*batch QPS*), scored with :func:`~splade_search.eval.metrics.evaluate_run`. Speed: after ``warmup``
untimed queries, each query is searched on its own, one torch thread, query encoding included
(``search`` latency; there is no separate ``query_encoding``). Sparsity is not reported.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from ..data import BeirData
from ..errors import InputError
from ..retrieval.hits import Retriever, check_k
from ..retrieval.hybrid import HybridRetriever
from ..retrieval.rerank import Reranker
from .index_eval import IndexEvaluation, indexing_summary, k_values, query_length, without_self_hits
from .latency import LatencyStats, time_each, torch_threads
from .metrics import evaluate_run


def evaluate_pipeline(
    retriever: Retriever,
    data: BeirData,
    *,
    k: int = 100,
    ignore_identical_ids: bool = False,
    query_max_length: int | None = None,
    warmup: int = 10,
    latency_queries: int | None = 1000,
    system: str = "",
    backend: str | None = None,
    indexing: Any = None,
) -> IndexEvaluation:
    """Evaluate ``retriever`` on the judged queries of ``data`` through its ``search_batch``.

    ``ignore_identical_ids`` drops a hit whose id equals the query id (searching ``k + 1`` deep).
    ``query_max_length`` truncates the queries of every query encoder inside ``retriever`` (see
    `query_encoders`; restored afterwards). ``backend``: the table's label (default: the index's
    backend, else the retriever's name). ``indexing``: the `IndexingReport` of its index, if built now.
    """
    check_k(k)
    query_ids = list(data.queries)
    if not query_ids:
        raise InputError(f"{data.name or 'the data'} has no judged query to evaluate")
    texts = [data.queries[qid] for qid in query_ids]
    depth = k + 1 if ignore_identical_ids else k
    with queries_cut(retriever, query_max_length):
        start = time.perf_counter()
        found = retriever.search_batch(texts, depth)
        batch_seconds = time.perf_counter() - start
        timed = texts if latency_queries is None else texts[:latency_queries]
        with torch_threads(1):
            latency = time_each(lambda text: retriever.search_batch([text], depth), timed, warmup=warmup)
    run = {qid: {hit.id: float(hit.score) for hit in hits} for qid, hits in zip(query_ids, found)}
    run = without_self_hits(run, k) if ignore_identical_ids else run
    index = getattr(retriever, "index", None)
    stats = index.stats() if index is not None and hasattr(index, "stats") else None
    return IndexEvaluation(
        system=system or retriever.name,
        dataset=data.name,
        backend=backend or (stats.backend if stats is not None else retriever.name),
        k=k,
        queries=len(query_ids),
        metrics=evaluate_run(data.qrels, run, k_values(k)).aggregate,
        index=stats,
        query_encoding=None,
        search=LatencyStats.from_seconds(latency),
        batch_qps=len(query_ids) / batch_seconds if batch_seconds > 0 else float("inf"),
        batch_encode_seconds=0.0,
        sparsity={"query_active_dims": None, "query_sparsity_ratio": None, "corpus_active_dims": None,
                  "corpus_sparsity_ratio": None, "avg_flops": None},
        indexing=indexing_summary(indexing),
        data={**data.stats, "queries_without_results": sum(1 for hits in run.values() if not hits)},
        search_mode=str(getattr(retriever, "mode", "exact")),
        search_knobs=dict(getattr(retriever, "knobs", {}) or {}),
        run=run,
    )


def query_encoders(retriever: Retriever) -> list[Any]:
    """The models that encode queries inside ``retriever``: its own, its legs', its first stage's.

    A reranker's own model reads documents too, so it is not one of them.
    """
    if isinstance(retriever, HybridRetriever):
        return [model for leg in retriever.legs.values() for model in query_encoders(leg)]
    if isinstance(retriever, Reranker):
        return query_encoders(retriever.first_stage)
    model = getattr(retriever, "model", None)
    return [model] if model is not None else []


@contextmanager
def queries_cut(retriever: Retriever, max_length: int | None) -> Iterator[None]:
    """Every query encoder of ``retriever`` reads at most ``max_length`` tokens inside the block (None: unchanged)."""
    with ExitStack() as stack:
        for model in {id(m): m for m in query_encoders(retriever)}.values():
            stack.enter_context(query_length(model, max_length))
        yield
