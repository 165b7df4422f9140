"""CSR quality against k, next to the dense baseline it sparsifies, on a BEIR folder.

Usage: python recipes/csr_curve.py ../shared/data/scifact --model models/recipes/csr-scifact --ks 16,32,64,128,256

The CSR backbone is frozen, so one encoding pass serves every row: the backbone's dense embeddings
of the corpus and queries are computed once, searched exactly with faiss IndexFlatIP (the dense
baseline), and fed to the trained SparseAutoEncoder at each k (what ``encode(..., max_active_dims=k)``
returns), whose sparse vectors go into a csr index searched like any other.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch


def dense_search(documents: np.ndarray, queries: np.ndarray, depth: int) -> tuple[np.ndarray, np.ndarray, list[float]]:
    """Exact inner-product top-``depth`` with faiss, and per-query latency on one thread."""
    import faiss

    faiss.omp_set_num_threads(1)
    index = faiss.IndexFlatIP(documents.shape[1])
    index.add(documents)
    scores, rows = index.search(queries, depth)
    latencies = []
    for query in queries:
        start = time.perf_counter()
        index.search(query[None, :], depth)
        latencies.append(time.perf_counter() - start)
    return scores, rows, latencies


def run_of(query_ids: list[str], doc_ids: list[str], scores: np.ndarray, rows: np.ndarray) -> dict[str, dict[str, float]]:
    return {
        qid: {doc_ids[r]: float(s) for s, r in zip(score_row, row) if r >= 0}
        for qid, score_row, row in zip(query_ids, scores, rows)
    }


def self_hits(data: Any) -> bool:
    """Whether BEIR drops a hit whose id is the query's own (ArguAna, Quora), as `splade-search eval` does."""
    from splade_search.eval.suite import ignores_self_hits

    return ignores_self_hits(data.name)


def sparse_rows(autoencoder: Any, dense: torch.Tensor, k: int, space: str) -> Any:
    """The autoencoder's top-``k`` codes of ``dense`` as scipy CSR rows, prepared for ``space``."""
    from splade_search.retrieval.vocabulary import prepare_rows
    from splade_search.sparse import to_scipy_csr

    with torch.inference_mode():
        codes = autoencoder({"sentence_embedding": dense}, max_active_dims=k)["sentence_embedding"]
    return prepare_rows(to_scipy_csr(codes.to_sparse()), space)


def evaluate_k(model: Any, data: Any, dense_docs: torch.Tensor, dense_queries: torch.Tensor, k: int, depth: int) -> dict[str, Any]:
    from splade_search.eval.index_eval import sparsity_stats
    from splade_search.eval.latency import LatencyStats, time_each
    from splade_search.eval.metrics import evaluate_run
    from splade_search.indexes import CsrIndex
    from splade_search.retrieval.vocabulary import model_vocabulary, score_space

    space = score_space(model)
    doc_ids, query_ids = list(data.corpus), list(data.queries)
    documents = sparse_rows(model[-1], dense_docs, k, space)
    queries = sparse_rows(model[-1], dense_queries, k, space)
    with tempfile.TemporaryDirectory() as folder:
        index = CsrIndex.build(
            Path(folder) / "index", [(doc_ids, documents)], model_vocabulary(model),
            metadata={"similarity": space}, show_progress=False,
        )
        results = index.search(queries, k=depth + 1)
        latency = LatencyStats.from_seconds(time_each(lambda q: index.search(q, k=depth, threads=1), [queries[i] for i in range(queries.shape[0])]))
        run = {qid: dict(zip(r.ids, np.asarray(r.scores, dtype=float).tolist())) for qid, r in zip(query_ids, results)}
        return {
            "system": f"CSR k={k} ({space})",
            "metrics": evaluate_run(data.qrels, run, [10, 100], ignore_identical_ids=self_hits(data)).aggregate,
            "sparsity": sparsity_stats(queries, index),
            "index_mb": index.stats().bytes_on_disk / 1e6,
            "search_ms": {"p50": latency.p50_ms, "p99": latency.p99_ms},
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="BEIR folder")
    parser.add_argument("--model", required=True, help="trained CSR model folder")
    parser.add_argument("--ks", default="16,32,64,128,256", help="comma-separated k values")
    parser.add_argument("--max-length", type=int, default=256, help="document tokens")
    parser.add_argument("--query-max-length", type=int, default=64, help="query tokens")
    parser.add_argument("--depth", type=int, default=100)
    parser.add_argument("--similarity", default=None, help="dot, cosine or both (dot,cosine); default: the model's")
    parser.add_argument("--out", default=None, help="write the rows as JSON here")
    args = parser.parse_args()

    from splade_search import SparseEncoder
    from splade_search.data import load_beir
    from splade_search.eval.latency import LatencyStats
    from splade_search.eval.metrics import evaluate_run
    from splade_search.retrieval import document_text

    data = load_beir(args.data)
    model = SparseEncoder(args.model)
    similarities = args.similarity.split(",") if args.similarity else [model.similarity_fn_name]
    backbone = SparseEncoder(modules=list(model)[:-1])
    started = time.perf_counter()
    backbone.max_seq_length = args.max_length
    dense_docs = backbone.encode_document([document_text(d) for d in data.corpus.values()], convert_to_sparse_tensor=False, show_progress_bar=True)
    backbone.max_seq_length = args.query_max_length
    dense_queries = backbone.encode_query(list(data.queries.values()), convert_to_sparse_tensor=False)
    print(f"encoded {len(data.corpus)} documents and {len(data.queries)} queries in {time.perf_counter() - started:.0f} s")

    scores, rows, latencies = dense_search(dense_docs.numpy(), dense_queries.numpy(), args.depth + 1)
    stats = LatencyStats.from_seconds(latencies)
    report = [{
        "system": "dense backbone (faiss IndexFlatIP)",
        "metrics": evaluate_run(
            data.qrels, run_of(list(data.queries), list(data.corpus), scores, rows), [10, 100], ignore_identical_ids=self_hits(data)
        ).aggregate,
        "sparsity": {"query_active_dims": dense_docs.shape[1], "corpus_active_dims": dense_docs.shape[1]},
        "index_mb": dense_docs.numel() * 4 / 1e6,
        "search_ms": {"p50": stats.p50_ms, "p99": stats.p99_ms},
    }]
    for similarity in similarities:
        model.similarity_fn_name = similarity
        for k in [int(k) for k in args.ks.split(",")]:
            report.append(evaluate_k(model, data, dense_docs, dense_queries, k, args.depth))
    print(f"{'system':36} {'nDCG@10':>8} {'MRR@10':>8} {'R@100':>8} {'q dims':>7} {'d dims':>7} {'FLOPs':>7} {'MB':>7} {'p50 ms':>7}")
    for row in report:
        m, s = row["metrics"], row["sparsity"]
        flops = s.get("avg_flops")
        print(f"{row['system']:36} {m['ndcg@10']:8.4f} {m['mrr@10']:8.4f} {m['recall@100']:8.4f} "
              f"{s['query_active_dims']:7.1f} {s['corpus_active_dims']:7.1f} {flops if flops is not None else float('nan'):7.2f} "
              f"{row['index_mb']:7.2f} {row['search_ms']['p50']:7.3f}")
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
