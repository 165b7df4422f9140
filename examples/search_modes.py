"""Search modes of a csr index: exact, pruned (same hits, less work) and approximate (a recall/speed knob).

SPLADE-like synthetic vectors (Zipf-distributed terms) stand in for an encoded corpus so that the
example runs in seconds; with a model, pass the same settings to
`SparseRetriever(model, index, mode="approximate", knobs={"budget": 0.1})` or to the CLI
(`splade-search query --mode approximate ...`).

    python examples/search_modes.py [--docs 50000] [--queries 200]
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np
import scipy.sparse as sp

from splade_search.indexes import CsrIndex, SearchResult
from splade_search.indexes.csr import fast

SETTINGS = [  # (mode, knobs): knobs are keyword arguments of index.search
    ("exact", {}),
    ("pruned", {"max_scored": 1.0}),  # always prune; the default 0.2 falls back to exact on dense queries
    ("approximate", {"budget": 0.3}),  # share of the exhaustive postings summed before exact rescoring
    ("approximate", {"budget": 0.1}),
    ("approximate", {"budget": 0.02, "rerank": 50}),  # fewer documents rescored exactly
]


def zipf_vectors(rows: int, width: int, terms: int, rng: np.random.Generator) -> sp.csr_matrix:
    """``rows`` vectors with about ``terms`` Zipf-distributed active terms and positive weights each."""
    columns = (rng.zipf(1.3, size=rows * terms) - 1) % width
    weights = rng.lognormal(-0.5, 0.6, size=rows * terms).astype(np.float32)
    matrix = sp.csr_matrix((weights, (np.repeat(np.arange(rows), terms), columns)), shape=(rows, width))
    matrix.sum_duplicates()
    return matrix


def recall(results: list[SearchResult], reference: list[SearchResult]) -> float:
    """Share of the reference hits that ``results`` also found."""
    found = sum(len(set(got.ids) & set(want.ids)) for got, want in zip(results, reference))
    return found / max(1, sum(len(want.ids) for want in reference))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    vocab = [f"term{i}" for i in range(30_522)]  # BERT-sized, as a SPLADE model's
    documents = zipf_vectors(args.docs, len(vocab), 150, rng)
    queries = zipf_vectors(args.queries, len(vocab), 25, rng)
    with tempfile.TemporaryDirectory() as tmp:
        ids = [f"doc{i}" for i in range(args.docs)]
        index = CsrIndex.build(f"{tmp}/index", [(ids, documents)], vocab, show_progress=False)
        print(f"{len(index):,} documents, {index.stats().postings:,} postings; {args.queries} queries, top 10\n")
        exact = index.search(queries, k=10, threads=1)
        print(f"{'mode':<12} {'knobs':<32} {'recall@10':>9} {'ms/query':>9}")
        for mode, knobs in SETTINGS:
            index.search(queries[:1], k=10, mode=mode, **knobs)  # a mode builds what it needs on first use
            start = time.perf_counter()
            results = index.search(queries, k=10, mode=mode, threads=1, **knobs)
            per_query = (time.perf_counter() - start) * 1000 / args.queries
            print(f"{mode:<12} {str(knobs):<32} {recall(results, exact):>9.3f} {per_query:>9.2f}")
    kernels = "numba kernels" if fast.available() else "numpy paths (pip install 'splade-search[fast]' for numba)"
    print(f"\n{kernels}; pruning and approximate search pay off on millions of documents, not on a toy corpus")


if __name__ == "__main__":
    main()
