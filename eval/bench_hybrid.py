"""Quality of single systems and their hybrids on SciFact and ArguAna (BEIR test qrels), plus reranking.

Systems: splade-tiny (csr index), MiniLM dense (faiss exact; HNSW recall reported), BM25, and
`HybridRetriever` fusions of them (RRF k=60; weighted min-max and z-score, equal weights), every
leg asked for its top 100. Each leg is searched once; the hybrids fuse those same hits through the
real `HybridRetriever` (legs replayed by `Replay`). ArguAna drops each query's own document from
its hits, the project's BEIR rule (`splade_search.eval.suite.ignores_self_hits`), searching one deeper.

BM25: ``splade_search.bm25``, in-process (Anserini's analyzer and scoring, k1=0.9, b=0.4; see eval/bm25.md).

Rerank (``--rerank``): a bi-encoder rescoring (MiniLM) of the top ``--rerank-depth`` of BM25 and
of splade-tiny on SciFact (no cross-encoder model is available offline).

    nice .venv/bin/python eval/bench_hybrid.py scifact arguana --build sparse &   # optional: build the
    nice .venv/bin/python eval/bench_hybrid.py scifact arguana --build dense &    # indexes in parallel
    nice .venv/bin/python eval/bench_hybrid.py scifact arguana --rerank
Indexes are kept under ``eval/_work/hybrid/`` and reused; results go to ``eval/_work/hybrid/<dataset>.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from splade_search.eval.suite import ignores_self_hits  # noqa: E402
from splade_search.data import load_beir  # noqa: E402
from splade_search.eval.metrics import evaluate_run  # noqa: E402
from splade_search.retrieval.hits import Hit, Retriever  # noqa: E402
from splade_search.retrieval.hybrid import HybridRetriever  # noqa: E402

DATA = Path("/work/shared/data")
WORK = ROOT / "eval" / "_work" / "hybrid"
DEPTH = 100
K_VALUES = [10, 100]
FUSIONS = {"rrf": {"method": "rrf"}, "wmm": {"method": "weighted", "normalization": "minmax"}, "wz": {"method": "weighted", "normalization": "zscore"}}
COMBOS = [("sparse", "dense"), ("sparse", "bm25"), ("bm25", "dense"), ("sparse", "bm25", "dense")]


class Replay(Retriever):
    """Hands back hits searched earlier (by query text), so every fusion sees the very same legs."""

    def __init__(self, name: str, hits: dict[str, list[Hit]]) -> None:
        self.name, self.hits = name, hits

    def search_batch(self, queries: list[str], k: int = 10) -> list[list[Hit]]:
        return [self.hits[q][:k] for q in queries]


def bm25_retriever(data: Any, folder: Path) -> tuple[Retriever, str]:
    from splade_search.bm25 import BM25Retriever
    from splade_search.indexes.generations import is_index

    path = folder / "bm25"
    if is_index(path):
        return BM25Retriever.open(path, implementation="inprocess"), "bm25"
    return BM25Retriever.build(data.corpus.values(), path, implementation="inprocess"), "bm25"


def sparse_retriever(data: Any, folder: Path) -> Retriever:
    from splade_search import SparseEncoder
    from splade_search.indexes.generations import is_index
    from splade_search.retrieval import SparseRetriever, index_corpus

    if is_index(folder):
        return SparseRetriever.from_index(folder)
    model = SparseEncoder("splade-tiny", device="cpu")
    report = index_corpus(model, data.corpus.values(), folder, model_reference="splade-tiny", max_length=256, total=len(data.corpus), show_progress=False)
    return SparseRetriever(model, report.index)


def dense_retriever(data: Any, folder: Path) -> Retriever:
    from splade_search.dense import DenseRetriever
    from splade_search.indexes.generations import is_index

    if is_index(folder):
        return DenseRetriever.open(folder)
    return DenseRetriever.build("minilm", data.corpus.values(), folder)


def timed(label: str, log: dict[str, float], fn: Any, *args: Any) -> Any:
    start = time.perf_counter()
    value = fn(*args)
    log[label] = round(time.perf_counter() - start, 1)
    print(f"  {label}: {log[label]} s", flush=True)
    return value


def metrics(data: Any, hits: dict[str, list[Hit]], qids: list[str], self_hits: bool) -> dict[str, float]:
    """nDCG@10 and R@100 of ``hits`` (by query text); queries sharing a text (ArguAna) share its hits."""
    run = {qid: {h.id: h.score for h in hits[data.queries[qid]]} for qid in qids}
    scores = evaluate_run(data.qrels, run, K_VALUES, metrics=("ndcg", "recall"), ignore_identical_ids=self_hits).aggregate
    return {"ndcg@10": round(scores["ndcg@10"], 4), "recall@100": round(scores["recall@100"], 4)}


def bench(name: str, rerank: bool, rerank_depth: int) -> dict[str, Any]:
    import torch

    torch.set_num_threads(1)  # 2 threads on 2 shared cores wait on each other at every operator
    data = load_beir(DATA / name, "test")
    qids = list(data.queries)
    texts = list(dict.fromkeys(data.queries[q] for q in qids))
    self_hits = ignores_self_hits(name)
    depth = DEPTH + 1 if self_hits else DEPTH
    folder = WORK / name
    folder.mkdir(parents=True, exist_ok=True)
    times: dict[str, float] = {}
    print(f"{name}: {len(data.corpus)} documents, {len(qids)} judged queries", flush=True)
    bm25, bm25_note = timed("bm25 index", times, bm25_retriever, data, folder / "bm25")
    legs = {
        "sparse": timed("splade-tiny index (open or build)", times, sparse_retriever, data, folder / "sparse"),
        "bm25": bm25,
        "dense": timed("MiniLM dense index (open or build)", times, dense_retriever, data, folder / "dense"),
    }
    found = {leg: dict(zip(texts, timed(f"{leg} search", times, r.search_batch, texts, depth))) for leg, r in legs.items()}
    rows = {leg: metrics(data, found[leg], qids, self_hits) for leg in legs}
    for combo in COMBOS:
        for fusion, options in FUSIONS.items():
            hybrid = HybridRetriever({leg: Replay(leg, found[leg]) for leg in combo}, depth=depth, **options)
            fused = dict(zip(texts, hybrid.search_batch(texts, depth)))
            rows[f"{'+'.join(combo)} {fusion}"] = metrics(data, fused, qids, self_hits)
    dense_index = legs["dense"].index
    vectors = legs["dense"].encode_queries(texts)
    start = time.perf_counter()
    dense_index.graph()
    hnsw = {"build_s": round(time.perf_counter() - start, 2), "recall@10": round(dense_index.recall_vs_exact(vectors, 10), 4)}
    hnsw["recall@100"] = round(dense_index.recall_vs_exact(vectors, 100), 4)
    result = {"dataset": name, "documents": len(data.corpus), "queries": len(qids), "bm25": bm25_note, "self_hits_dropped": self_hits,
              "rows": rows, "hnsw_default_knobs": hnsw, "seconds": times}
    if rerank:
        from splade_search.dense import DenseEncoder
        from splade_search.retrieval.rerank import BiEncoderReranker

        encoder = legs["dense"].model
        assert isinstance(encoder, DenseEncoder)
        for first in ("bm25", "sparse"):
            reranker = BiEncoderReranker(Replay(first, found[first]), encoder, depth=rerank_depth)
            reranked = dict(zip(texts, timed(f"rerank {first} top-{rerank_depth}", times, reranker.search_batch, texts, rerank_depth)))
            # below the window the first-stage order stays; ranks become scores so the run keeps this order
            kept = {
                t: [Hit(id=h.id, score=float(depth - i), rank=i + 1) for i, h in enumerate(reranked[t] + found[first][t][rerank_depth:])]
                for t in texts
            }
            rows[f"{first} -> MiniLM bi-encoder rerank@{rerank_depth}"] = metrics(data, kept, qids, self_hits)
    (WORK / f"{name}.json").write_text(json.dumps(result, indent=1) + "\n")
    for system, row in rows.items():
        print(f"  {system:40s} nDCG@10 {row['ndcg@10']:.4f}  R@100 {row['recall@100']:.4f}", flush=True)
    return result


def hnsw_synthetic(n: int, dim: int = 384, queries: int = 200, ef_search: tuple[int, ...] = (16, 64, 128, 256)) -> str:
    """HNSW recall vs exact on ``n`` random unit vectors (a hard case: no cluster structure), per ``ef_search``."""
    from splade_search.dense import DenseIndex

    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    asked = vectors[rng.choice(n, queries, replace=False)] + 0.5 * rng.standard_normal((queries, dim)).astype(np.float32) / np.sqrt(dim)
    index = DenseIndex.build(WORK / f"synthetic-{n}", [([str(i) for i in range(n)], vectors)], force=True)
    start = time.perf_counter()
    index.graph()
    lines = [f"HNSW on {n} random {dim}-d unit vectors, {queries} queries (graph build {time.perf_counter() - start:.1f} s):", "",
             "| mode | recall@10 vs exact | ms/query (batch) |", "|---|---|---|"]
    for mode, knobs in [("exact", {})] + [("hnsw", {"ef_search": ef}) for ef in ef_search]:
        start = time.perf_counter()
        index.search(asked, 10, mode=mode, **knobs)
        ms = (time.perf_counter() - start) * 1000 / queries
        recall = 1.0 if mode == "exact" else index.recall_vs_exact(asked, 10, **knobs)
        lines.append(f"| {mode} {knobs or ''} | {recall:.4f} | {ms:.3f} |")
    return "\n".join(lines)


def report(names: list[str]) -> str:
    """Markdown tables of the saved results: every system, then the best single vs the best hybrid."""
    lines = []
    for name in names:
        result = json.loads((WORK / f"{name}.json").read_text())
        rows = result["rows"]
        singles = {s: r for s, r in rows.items() if s in ("sparse", "bm25", "dense")}
        hybrids = {s: r for s, r in rows.items() if "+" in s}
        best_single = max(singles, key=lambda s: singles[s]["ndcg@10"])
        best_hybrid = max(hybrids, key=lambda s: hybrids[s]["ndcg@10"])
        lines += [f"### {name} ({result['documents']} documents, {result['queries']} queries)", "", "| system | nDCG@10 | R@100 |", "|---|---|---|"]
        lines += [f"| {s} | {r['ndcg@10']:.4f} | {r['recall@100']:.4f} |" for s, r in rows.items()]
        gain = hybrids[best_hybrid]["ndcg@10"] - singles[best_single]["ndcg@10"]
        lines += ["", f"Best single: **{best_single}** {singles[best_single]['ndcg@10']:.4f}; best hybrid: **{best_hybrid}** "
                  f"{hybrids[best_hybrid]['ndcg@10']:.4f} ({gain:+.4f} nDCG@10, x{hybrids[best_hybrid]['ndcg@10'] / singles[best_single]['ndcg@10']:.3f}).",
                  f"BM25: {result['bm25']}. HNSW (m=32, efConstruction=80, efSearch=128) vs exact: {result['hnsw_default_knobs']}.",
                  f"Seconds: {result['seconds']}.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="*", help="scifact and/or arguana")
    parser.add_argument("--rerank", action="store_true", help="also measure bi-encoder rescoring (SciFact only)")
    parser.add_argument("--rerank-depth", type=int, default=20)
    parser.add_argument("--hnsw-synthetic", type=int, metavar="N", help="only measure HNSW recall on N random vectors")
    parser.add_argument("--report", action="store_true", help="print markdown tables of the saved results and stop")
    parser.add_argument("--build", choices=["sparse", "dense"], help="only build (or resume) that leg's indexes, e.g. in parallel")
    args = parser.parse_args()
    if set(args.datasets) - {"scifact", "arguana"}:
        parser.error("datasets: choose scifact and/or arguana")
    if args.hnsw_synthetic:
        print(hnsw_synthetic(args.hnsw_synthetic))
        return
    if args.report:
        print(report(args.datasets))
        return
    if args.build:
        import torch

        torch.set_num_threads(1)
        builder = sparse_retriever if args.build == "sparse" else dense_retriever
        for name in args.datasets:
            timed(f"{name} {args.build} index", {}, builder, load_beir(DATA / name, "test"), WORK / name / args.build)
        return
    for name in args.datasets:
        bench(name, args.rerank and name == "scifact", args.rerank_depth)


if __name__ == "__main__":
    main()
