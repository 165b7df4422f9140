"""Search latency, throughput and recall: csr (exact, pruned, approximate) vs Lucene, pyserini, PISA, bmp.

``exact``: every engine on every corpus, one subprocess each (built by `bench_build` first):
median / p99 latency of single queries on one thread (after a warm-up), queries per second with
two threads, and recall@10 against the exact float32 top-10 (csr exact, computed first).
``approximate``: csr ``mode="approximate"`` over a grid of knobs (and bmp's alpha) against exact
csr on one corpus. Results are merged into ``eval/_work/results/search.json``; `_report` renders
them. Usage (the machine is shared: nice it):

    nice .venv/bin/python eval/bench_search.py exact scifact arguana synth-100000 synth-1000000
    nice .venv/bin/python eval/bench_search.py approximate synth-1000000 topic-1000000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp

from _corpora import open_corpus, query_rows
from _engines import Searcher
from _vectors import WORK

RESULTS = WORK / "results"
K = 10
WARMUP = 20
EXACT_RUNS = [("csr", "exact"), ("csr", "pruned"), ("csr", "pruned-numpy"), ("lucene", ""), ("pyserini", ""), ("pisa", "maxscore"),
              ("pisa", "block_max_wand"), ("bmp", "")]
APPROXIMATE_GRID = [
    *({"budget": b, "rerank": r} for b in (0.02, 0.05, 0.1, 0.15, 0.2, 0.3) for r in (100, 300, 1000)),
    *({"budget": 0.1, "rerank": 300, "query_cut": cut} for cut in (8, 16, 32)),
]
BMP_ALPHAS = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5)


def reference_path(corpus: str):
    return RESULTS / f"reference-{corpus}.json"


def timed(search, rows, k: int = K) -> tuple[list[list[int]], np.ndarray]:
    """Run each query once on this thread after a warm-up; hits and seconds per query."""
    for terms, weights in rows[:WARMUP]:
        search(terms, weights, k)
    hits, seconds = [], []
    for terms, weights in rows:
        start = time.perf_counter()
        hits.append(search(terms, weights, k))
        seconds.append(time.perf_counter() - start)
    return hits, np.array(seconds)


def qps(searcher: Searcher, corpus, rows, threads: int = 2) -> float:
    """Queries per second with ``threads`` threads (the engine's own batch call when it has one)."""
    start = time.perf_counter()
    if searcher.batch is not None:
        searcher.batch(corpus.queries, K, threads)
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(lambda row: searcher.search(row[0], row[1], K), rows))
    return len(rows) / (time.perf_counter() - start)


def recall(hits: list[list[int]], reference: list[list[int]]) -> float:
    """Mean share of the exact top-10 found."""
    return float(np.mean([len(set(h) & set(r)) / len(r) for h, r in zip(hits, reference, strict=True) if r]))


def summary(seconds: np.ndarray) -> dict:
    return {"median_ms": 1000 * float(np.median(seconds)), "p99_ms": 1000 * float(np.percentile(seconds, 99)),
            "mean_ms": 1000 * float(seconds.mean())}


def run_exact(engine: str, variant: str, corpus_name: str) -> dict:
    """One engine on one corpus (in this process)."""
    corpus = open_corpus(corpus_name)
    rows = query_rows(corpus.queries)
    start = time.perf_counter()
    searcher = Searcher(engine, corpus, variant)
    opened = time.perf_counter() - start
    hits, seconds = timed(searcher.search, rows)
    if (engine, variant) == ("csr", "exact"):
        reference_path(corpus_name).write_text(json.dumps(hits))
    reference = json.loads(reference_path(corpus_name).read_text())
    return {"engine": engine, "variant": variant, "corpus": corpus_name, "queries": len(rows), "open_s": opened,
            **summary(seconds), "qps_2_threads": qps(searcher, corpus, rows), "recall_at_10": recall(hits, reference)}


def run_approximate(corpus_name: str, with_bmp: bool = True) -> list[dict]:
    """csr exact, pruned and approximate (knob grid), then bmp's alpha, on one corpus (in this process)."""
    from splade_search.indexes import CsrIndex

    corpus = open_corpus(corpus_name)
    rows = query_rows(corpus.queries)
    reference = json.loads(reference_path(corpus_name).read_text())
    index = CsrIndex.open(corpus.index_path("csr"), verify=False)
    width = len(corpus.vocab)
    results = []
    for variant, knobs in [("exact", {}), ("pruned", {})] + [("approximate", grid) for grid in APPROXIMATE_GRID]:
        def search(terms, weights, k, variant=variant, knobs=knobs):
            row = sp.csr_matrix((weights, terms, [0, len(terms)]), shape=(1, width))
            return index.search(row, k, threads=1, mode=variant, **knobs)[0].indices.tolist()

        start = time.perf_counter()
        search(*rows[0], K)
        first = time.perf_counter() - start
        hits, seconds = timed(search, rows)
        results.append({"engine": "csr", "variant": variant, "knobs": knobs, "corpus": corpus_name,
                        "first_query_s": first, **summary(seconds), "recall_at_10": recall(hits, reference),
                        "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20})
        print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    if with_bmp and corpus.index_path("bmp").exists():
        import bmp

        searcher = bmp.Searcher(str(corpus.index_path("bmp") / "index.bmp"))
        for alpha in BMP_ALPHAS:
            def search_bmp(terms, weights, k, alpha=alpha):
                query = {f"t{t}": float(w) for t, w in zip(terms.tolist(), weights.tolist(), strict=True)}
                return [int(d) for d in searcher.search(query, k=k, alpha=alpha, beta=1.0)[0]]

            hits, seconds = timed(search_bmp, rows)
            results.append({"engine": "bmp", "variant": "approximate", "knobs": {"alpha": alpha}, "corpus": corpus_name,
                            **summary(seconds), "recall_at_10": recall(hits, reference)})
    return results


def load_results(name: str) -> dict:
    """The recorded ``results/<name>.json`` (empty when missing)."""
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def record(name: str, key: str, value) -> None:
    """Merge ``value`` under ``key`` into ``results/<name>.json``."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    results = load_results(name)
    results[key] = value
    (RESULTS / f"{name}.json").write_text(json.dumps(results, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["exact", "approximate"])
    parser.add_argument("corpora", nargs="+")
    parser.add_argument("--engines", nargs="+", help="subset of: " + " ".join(f"{e}:{v}" for e, v in EXACT_RUNS))
    parser.add_argument("--no-bmp", action="store_true", help="approximate: keep the recorded bmp runs")
    parser.add_argument("--one", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_exact(*args.one)))
        return
    for corpus in args.corpora:
        if args.what == "approximate":
            runs = run_approximate(corpus, with_bmp=not args.no_bmp)
            if args.no_bmp:
                runs += [r for r in load_results("approximate").get(corpus, []) if r["engine"] == "bmp"]
            record("approximate", corpus, runs)
            continue
        for engine, variant in EXACT_RUNS:
            if args.engines and f"{engine}:{variant}" not in args.engines and engine not in args.engines:
                continue
            out = subprocess.run([sys.executable, __file__, "exact", corpus, "--one", engine, variant, corpus],
                                 capture_output=True, text=True)
            if out.returncode != 0:
                print(f"{corpus} {engine}:{variant}: FAILED\n{out.stderr[-3000:]}", flush=True)
                continue
            result = json.loads(out.stdout.strip().splitlines()[-1])
            record("search", f"{corpus}/{engine}:{variant}", result)
            print(f"{corpus} {engine}:{variant}: median {result['median_ms']:.2f} ms, p99 {result['p99_ms']:.2f} ms, "
                  f"{result['qps_2_threads']:.0f} qps, recall {result['recall_at_10']:.3f}", flush=True)


if __name__ == "__main__":
    main()
