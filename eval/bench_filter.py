"""Filtered search at 1 %, 10 % and 50 % selectivity against unfiltered search, and exactness against brute force.

A synthetic corpus of ``--docs`` documents (Zipf term ids over a 30,522-token vocabulary, about 120 terms
per document, log-normal weights: the profile of engines.md's baseline) gets an integer field
``bucket`` uniform in 0..99, so ``bucket < s`` passes s % of the documents. Queries have about 25 terms.
For each selectivity the script reports p50/p99 latency per query (1 thread) of the csr backend's exact
search with ``filter=`` next to the unfiltered one, and checks every filtered top-10 against brute force
over the matching documents (scipy, float64). Results go to eval/filter.md.

    nice .venv/bin/python eval/bench_filter.py --docs 100000 --queries 200
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from splade_search.indexes import CsrIndex

VOCAB = 30_522
RESULTS = Path(__file__).resolve().parent / "filter.md"


def corpus(n_rows: int, terms: int, seed: int) -> sp.csr_matrix:
    """``n_rows`` sparse rows of about ``terms`` Zipf-distributed term ids with positive weights."""
    rng = np.random.default_rng(seed)
    cols = (rng.zipf(1.1, size=(n_rows, terms)) - 1) % VOCAB
    rows = np.repeat(np.arange(n_rows), terms)
    data = rng.lognormal(-0.5, 0.6, size=n_rows * terms).astype(np.float32)
    matrix = sp.csr_matrix((data, (rows, cols.ravel())), shape=(n_rows, VOCAB))
    matrix.sum_duplicates()
    return matrix


def timed(index: CsrIndex, queries: sp.csr_matrix, **options: object) -> tuple[list[float], list]:
    """Per-query latencies (ms) and results, one query at a time."""
    index.search(queries[0], k=10, **options)  # warm-up
    latencies, results = [], []
    for row in range(queries.shape[0]):
        start = time.perf_counter()
        results.append(index.search(queries[row], k=10, threads=1, **options)[0])
        latencies.append((time.perf_counter() - start) * 1e3)
    return latencies, results


def brute_force_ok(docs: sp.csr_matrix, queries: sp.csr_matrix, allowed: np.ndarray, results: list) -> bool:
    """Whether every filtered result equals the exact top-10 over the allowed documents."""
    kept = np.flatnonzero(allowed)
    scores = (docs[kept].astype(np.float64) @ queries.astype(np.float64).T).toarray()
    for column, result in enumerate(results):
        column_scores = scores[:, column]
        hits = np.flatnonzero(column_scores)
        order = hits[np.lexsort((hits, -column_scores[hits]))][:10]
        if kept[order].tolist() != result.indices.tolist():
            return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    docs = corpus(args.docs, 120, seed=0)
    queries = corpus(args.queries, 25, seed=1)
    buckets = np.random.default_rng(2).integers(0, 100, size=args.docs)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        ids = [str(i) for i in range(args.docs)]
        index = CsrIndex.build(
            Path(tmp) / "idx", [(ids, docs)], [f"t{i}" for i in range(VOCAB)],
            fields=[{"bucket": int(b)} for b in buckets], show_progress=False,
        )
        build = time.perf_counter() - start
        rows = []
        base, _ = timed(index, queries)
        rows.append(("none", 100.0, base, True))
        for share in (1, 10, 50):
            latencies, results = timed(index, queries, filter=f"bucket < {share}")
            exact = brute_force_ok(docs, queries, buckets < share, results)
            rows.append((f"bucket < {share}", float((buckets < share).mean() * 100), latencies, exact))
    load = os.getloadavg()
    base_p50 = float(np.percentile(base, 50))
    lines = [
        "# Filtered search: latency against unfiltered, exactness against brute force",
        "",
        f"Command: `nice .venv/bin/python eval/bench_filter.py --docs {args.docs} --queries {args.queries}`",
        f"Corpus: {args.docs:,} synthetic documents ({docs.nnz:,} postings, {docs.nnz / args.docs:.0f} terms/doc), "
        f"{args.queries} queries of ~25 terms; csr backend, exact mode, 1 thread, k=10; build {build:.1f} s. "
        f"Machine load (1/5/15 min): {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} on {os.cpu_count()} cores.",
        "",
        "| filter | documents passing | p50 ms | p99 ms | p50 vs unfiltered | top-10 = brute force |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name, share, latencies, exact in rows:
        p50, p99 = np.percentile(latencies, [50, 99])
        lines.append(f"| {name} | {share:.1f} % | {p50:.3f} | {p99:.3f} | {p50 / base_p50:.2f}x | {'yes' if exact else 'NO'} |")
    lines += [
        "",
        "The filter is evaluated once per search call into a mask over documents (the int column compared with",
        "numpy), and the exact scorer zeroes the scores of documents outside it before choosing the top-k, so a",
        "filtered query gets k hits whenever k matching documents share a term with it (no post-filtering).",
    ]
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
