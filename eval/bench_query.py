"""Query-encoding latency: full SPLADE against the inference-free query side, one query per call.

Per query on one thread after a warm-up: p50 / p99 / mean over ``--passes`` passes of every query, the
fast path's word caches emptied before each pass. Batch-of-32 throughput: best of three passes, caches
warm. The inference-free model runs three ways: the exact fast path ``encode_query`` picks for a lone
SparseStaticEmbedding route, the plain module chain (fast path off), and ``SparseRetriever.encode_queries``
(fast path + scipy CSR). Without ``--if-model`` the model is built untrained (corpus IDF weights): query
cost does not depend on the weight values. Usage:

    nice .venv/bin/python eval/bench_query.py ../shared/data/scifact --max-queries 300 [--json] [--record]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # one thread in the tokenizer too

import numpy as np
import torch

TARGET_MS = 0.2
WARMUP = 20


def latencies(encode: Callable[[str], Any], queries: list[str], passes: int, reset: Callable[[], None]) -> np.ndarray:
    """Seconds of each ``encode(query)`` call, every query ``passes`` times, after a warm-up; ``reset()``
    before each pass empties the fast path's caches, so each pass sees the queries as a first stream."""
    for query in queries[:WARMUP]:
        encode(query)
    seconds = []
    for _ in range(passes):
        reset()
        for query in queries:
            start = time.perf_counter()
            encode(query)
            seconds.append(time.perf_counter() - start)
    return np.array(seconds)


def throughput(encode_batch: Callable[[list[str]], Any], queries: list[str], batch_size: int) -> float:
    """Queries per second encoding ``batch_size`` queries per call (best of three passes)."""
    encode_batch(queries[:batch_size])
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for i in range(0, len(queries), batch_size):
            encode_batch(queries[i : i + batch_size])
        best = min(best, time.perf_counter() - start)
    return len(queries) / best


def summary(seconds: np.ndarray, qps: float) -> dict[str, float]:
    return {"p50_ms": 1000 * float(np.median(seconds)), "p99_ms": 1000 * float(np.percentile(seconds, 99)),
            "mean_ms": 1000 * float(seconds.mean()), "batch_qps": qps}


def identical(a: torch.Tensor, b: torch.Tensor) -> bool:
    return torch.equal(a.indices(), b.indices()) and torch.equal(a.values(), b.values())


def load_models(data: Any, splade: str, if_model: str | None) -> tuple[Any, Any]:
    from splade_search import SparseEncoder
    from splade_search.retrieval import document_text
    from splade_search.training.config import TrainConfig
    from splade_search.training.recipes import build_model

    full = SparseEncoder(splade, device="cpu")
    if if_model:
        return full, SparseEncoder(if_model, device="cpu")
    config = TrainConfig(architecture="inference-free", model=splade, train_data="-")
    return full, build_model(config, [document_text(d) for d in data.corpus.values()]).to("cpu")


def run(folder: str, splade: str, if_model: str | None, max_queries: int, batch_size: int, passes: int) -> dict:
    """All measurements on one BEIR folder, in this process."""
    from splade_search.fastpaths import static_query as fast_query
    from splade_search.data import load_beir
    from splade_search.retrieval.retriever import SparseRetriever

    torch.set_num_threads(1)
    data = load_beir(folder)
    queries = list(data.queries.values())[:max_queries]
    full, free = load_models(data, splade, if_model)
    module = fast_query.query_module(free, "query")
    if module is None:
        raise SystemExit(f"the inference-free model's query route is not a lone SparseStaticEmbedding: {free}")
    retriever = SimpleNamespace(model=free, space="dot")
    fast_on = fast_query.encode
    fast_off: Callable[..., Any] = lambda *args, **kwargs: None  # noqa: E731
    rows: dict[str, dict[str, float]] = {}

    def measure(name: str, one: Callable[[str], Any], many: Callable[[list[str]], Any]) -> None:
        reset = lambda: fast_query.clear_word_caches(module)  # noqa: E731
        rows[name] = summary(latencies(one, queries, passes, reset), throughput(many, queries, batch_size))

    measure(f"SPLADE ({splade})", full.encode_query, lambda q: full.encode_query(q, batch_size=batch_size))
    measure("inference-free, fast path", free.encode_query, lambda q: free.encode_query(q, batch_size=batch_size))
    measure("inference-free, retriever CSR", lambda q: SparseRetriever.encode_queries(retriever, [q]),
            lambda q: SparseRetriever.encode_queries(retriever, q))
    fast = free.encode_query(queries)
    fast_query.encode = fast_off
    try:
        plain = free.encode_query(queries)
        measure("inference-free, plain path", free.encode_query, lambda q: free.encode_query(q, batch_size=batch_size))
    finally:
        fast_query.encode = fast_on
    tokens = [len(ids) for ids in fast_query.token_ids(module, queries)]
    return {"corpus": Path(folder).name, "queries": len(queries), "mean_query_tokens": float(np.mean(tokens)),
            "passes": passes, "batch_size": batch_size, "fast_equals_plain": identical(fast, plain), "rows": rows}


def table(result: dict) -> str:
    """Markdown table and the ratios."""
    rows = result["rows"]
    lines = [f"**{result['corpus']}**: {result['queries']} queries, {result['mean_query_tokens']:.1f} tokens on "
             f"average; 1 thread, {result['passes']} passes; batch {result['batch_size']}\n",
             f"| encoder | p50 ms | p99 ms | mean ms | batch-{result['batch_size']} queries/s |", "|---|---:|---:|---:|---:|"]
    for name, r in rows.items():
        lines.append(f"| {name} | {r['p50_ms']:.3f} | {r['p99_ms']:.3f} | {r['mean_ms']:.3f} | {r['batch_qps']:.0f} |")
    full = next(iter(rows.values()))
    fast, plain = rows["inference-free, fast path"], rows["inference-free, plain path"]
    met = "met" if fast["p50_ms"] <= TARGET_MS else "NOT met"
    lines += ["", f"p50 full SPLADE / fast path: {full['p50_ms'] / fast['p50_ms']:.0f}x; plain / fast path: "
              f"{plain['p50_ms'] / fast['p50_ms']:.1f}x; batch q/s fast / full: {fast['batch_qps'] / full['batch_qps']:.0f}x",
              f"target p50 <= {TARGET_MS} ms: {met} ({fast['p50_ms']:.3f} ms); fast path output == plain path output: "
              f"{result['fast_equals_plain']}"]
    return "\n".join(lines)


def record(result: dict) -> None:
    """Merge into ``eval/_work/results/query.json`` under the corpus name."""
    from _vectors import WORK

    path = WORK / "results" / "query.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    results = json.loads(path.read_text()) if path.exists() else {}
    results[result["corpus"]] = result
    path.write_text(json.dumps(results, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", nargs="+", help="BEIR folder(s)")
    parser.add_argument("--splade", default="splade-tiny", help="full SPLADE model (and the inference-free base)")
    parser.add_argument("--if-model", default=None, help="a trained inference-free model folder")
    parser.add_argument("--max-queries", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--passes", type=int, default=3, help="timed passes over the queries, one query per call")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument("--record", action="store_true", help="merge into eval/_work/results/query.json")
    args = parser.parse_args()
    results = [run(folder, args.splade, args.if_model, args.max_queries, args.batch_size, args.passes) for folder in args.data]
    for result in results:
        if args.record:
            record(result)
        print(json.dumps(result) if args.json else table(result) + "\n", flush=True)


if __name__ == "__main__":
    main()
