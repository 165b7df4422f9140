"""BM25 quality and speed: Lucene (Anserini) and in-process BM25 against splade-tiny (and bm25s), in one run.

For each BEIR folder: build the three indexes (BM25 through Anserini, BM25 in-process, splade-tiny
through a csr index), evaluate each with the project's `evaluate_retriever` (nDCG@10, R@100, index build
time, per-query latency after warm-up on one thread), applying BEIR's self-hit rule where the project's
``eval`` does (ArguAna). Also: end-to-end latency of ``retriever.search(text, k=100)`` (text in, hits
with stored documents out), how far the two BM25 implementations agree (top-10 overlap, identical
top-100 lists, largest score difference), quality of Anserini's own text path (its analyzer rather
than ours), and the bm25s library (its README's defaults, with k1/b set to Anserini's) as a peer.
Usage:

    nice .venv/bin/python eval/bench_bm25.py ../shared/data/scifact ../shared/data/arguana \\
        --work /tmp/bench_bm25 [--reuse] [--no-splade] [--json out.json]

``--reuse`` evaluates splade-tiny indexes left in ``--work`` by an earlier run instead of encoding
again (encoding SciFact and ArguAna on 2 CPU cores takes about 40 minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np

from splade_search.bm25 import BM25Retriever
from splade_search.eval.suite import ignores_self_hits  # the rule `splade-search eval` applies (ArguAna, Quora)
from splade_search.data import load_beir
from splade_search.eval.index_eval import evaluate_retriever
from splade_search.eval.latency import LatencyStats, time_each
from splade_search.eval.metrics import evaluate_run

ANSERINI_SCIFACT = {"ndcg@10": 0.6789, "recall@100": 0.9253}  # Anserini's BEIR regression, flat index
K = 100
WARMUP = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", nargs="+", type=Path, help="BEIR folders (corpus.jsonl, queries.jsonl, qrels/test.tsv)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench_bm25"), help="where the indexes are built")
    parser.add_argument("--reuse", action="store_true", help="evaluate splade-tiny indexes already in --work")
    parser.add_argument("--no-splade", action="store_true", help="leave splade-tiny out")
    parser.add_argument("--latency-queries", type=int, default=300, help="queries timed one by one")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    args = parser.parse_args()
    print(f"load before: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    rows, notes = [], []
    for folder in args.data:
        data = load_beir(folder, "test")
        ignore = ignores_self_hits(data.name)
        queries = [data.queries[q] for q in data.queries][: args.latency_queries]
        systems = {}
        for implementation in ("lucene", "inprocess"):
            path = args.work / f"{data.name}.bm25-{implementation}"
            shutil.rmtree(path, ignore_errors=True)
            start = time.perf_counter()
            retriever = BM25Retriever.build(data.corpus.values(), path, implementation=implementation)
            systems[f"bm25 ({implementation})"] = (retriever, time.perf_counter() - start)
        if not args.no_splade:
            systems["splade-tiny"] = splade_tiny(data, args.work / f"{data.name}.splade-tiny", args.reuse)
        for name, (retriever, build_seconds) in systems.items():
            result = evaluate_retriever(
                retriever, data, k=K, ignore_identical_ids=ignore, system=name, warmup=WARMUP,
                latency_queries=args.latency_queries, indexing=getattr(retriever, "report", None),
            )
            end_to_end = LatencyStats.from_seconds(time_each(lambda q: retriever.search(q, k=K), queries, warmup=WARMUP))
            rows.append(
                {
                    "data": data.name, "system": name, "ndcg@10": result.metrics["ndcg@10"],
                    "recall@100": result.metrics["recall@100"], "build_s": build_seconds,
                    "query_p50_ms": end_to_end.p50_ms, "encode_p50_ms": result.query_encoding.p50_ms,
                    "search_p50_ms": result.search.p50_ms, "index_mb": result.index.bytes_on_disk / 1e6,
                    "self_hits_dropped": ignore,
                }
            )
            print(row_text(rows[-1]), flush=True)
        notes.append(agreement(data, systems["bm25 (lucene)"][0], systems["bm25 (inprocess)"][0], ignore))
        notes[-1]["bm25s"] = bm25s_peer(data, ignore)
        print(json.dumps(notes[-1]), flush=True)
    print(f"load after: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    print(markdown(rows, notes))
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "notes": notes}, indent=1) + "\n")


def splade_tiny(data: Any, path: Path, reuse: bool) -> tuple[Any, float]:
    """A SparseRetriever on splade-tiny's csr index of ``data`` (256 document / 64 query tokens)."""
    from splade_search import SparseEncoder
    from splade_search.retrieval import SparseRetriever, index_corpus

    model = SparseEncoder("splade-tiny")
    model.max_seq_length = 256
    if reuse and (path / "CURRENT").is_file():
        retriever = SparseRetriever.from_index(path, model)
        seconds = float("nan")
    else:
        shutil.rmtree(path, ignore_errors=True)
        start = time.perf_counter()
        report = index_corpus(model, data.corpus.values(), path, model_reference="splade-tiny", total=len(data.corpus), show_progress=False)
        seconds = time.perf_counter() - start
        retriever = SparseRetriever(model, report.index)
        retriever.report = report
    model.max_seq_length = 64  # queries
    return retriever, seconds


def agreement(data: Any, lucene: BM25Retriever, inprocess: BM25Retriever, ignore: bool) -> dict[str, Any]:
    """How the two BM25 implementations compare on every judged query (text queries, k=100)."""
    ids = list(data.queries)
    texts = [data.queries[q] for q in ids]
    found, expected = lucene._results(texts, K), inprocess._results(texts, K)
    overlap = np.mean([len(set(a.ids[:10]) & set(b.ids[:10])) / max(1, min(10, len(b.ids))) for a, b in zip(found, expected)])
    identical = sum(a.ids == b.ids for a, b in zip(found, expected))
    differences = [
        float(np.max(np.abs(a.scores - b.scores))) for a, b in zip(found, expected) if a.ids == b.ids and len(a.ids)
    ]
    depth = K + 1 if ignore else K
    anserini_run = lucene.run(dict(zip(ids, texts)), k=depth)
    metrics = evaluate_run(data.qrels, anserini_run, [10, 100], ignore_identical_ids=ignore).aggregate
    note = {
        "data": data.name,
        "queries": len(ids),
        "top10_overlap": float(overlap),
        "identical_top100": identical,
        "max_score_difference": max(differences, default=0.0),
        "anserini_text_path": {"ndcg@10": metrics["ndcg@10"], "recall@100": metrics["recall@100"]},
    }
    if not ignore:
        dropped = evaluate_run(data.qrels, anserini_run, [10, 100], ignore_identical_ids=True).aggregate
        note["anserini_text_path_self_hits_dropped"] = {"ndcg@10": dropped["ndcg@10"], "recall@100": dropped["recall@100"]}
    return note


def bm25s_peer(data: Any, ignore: bool) -> dict[str, Any] | None:
    """bm25s (README defaults: English stop words, Snowball English stemmer) with Anserini's k1/b and Lucene's idf."""
    try:
        import bm25s
        import Stemmer
    except ImportError:
        return None
    from splade_search.retrieval import document_text

    docs = list(data.corpus.values())
    stemmer = Stemmer.Stemmer("english")
    start = time.perf_counter()
    model = bm25s.BM25(method="lucene", k1=0.9, b=0.4)
    model.index(bm25s.tokenize([document_text(d) for d in docs], stopwords="en", stemmer=stemmer, show_progress=False), show_progress=False)
    build = time.perf_counter() - start
    ids = list(data.queries)
    tokens = bm25s.tokenize([data.queries[q] for q in ids], stopwords="en", stemmer=stemmer, show_progress=False)
    found, scores = model.retrieve(tokens, k=K + 1, show_progress=False, n_threads=1)
    run = {q: {docs[i].id: float(s) for i, s in zip(row, srow) if s > 0} for q, row, srow in zip(ids, found, scores)}
    metrics = evaluate_run(data.qrels, run, [10, 100], ignore_identical_ids=ignore).aggregate
    return {"ndcg@10": metrics["ndcg@10"], "recall@100": metrics["recall@100"], "build_s": build}


def row_text(row: dict[str, Any]) -> str:
    return (
        f"| {row['data']} | {row['system']} | {row['ndcg@10']:.4f} | {row['recall@100']:.4f} | {row['build_s']:.1f} | "
        f"{row['query_p50_ms']:.2f} | {row['encode_p50_ms']:.3f} | {row['search_p50_ms']:.3f} | {row['index_mb']:.1f} |"
    )


def markdown(rows: list[dict[str, Any]], notes: list[dict[str, Any]]) -> str:
    lines = [
        "| data | system | nDCG@10 | R@100 | build s | query p50 ms | encode p50 ms | search p50 ms | index MB |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
        *map(row_text, rows),
    ]
    for row in rows:
        if "scifact" in row["data"].lower() and row["system"].startswith("bm25"):
            lines.append(
                f"\n{row['system']} on SciFact vs Anserini's regression: nDCG@10 {row['ndcg@10'] - ANSERINI_SCIFACT['ndcg@10']:+.4f}, "
                f"R@100 {row['recall@100'] - ANSERINI_SCIFACT['recall@100']:+.4f}"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
