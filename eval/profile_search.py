"""Why csr search takes the time it takes: kernel vs API overhead, and what pruning could skip.

For one corpus (csr index built by `bench_build`, 1 thread, after a warm-up):

- per query: the whole ``index.search`` call vs the numba kernel alone (dense and MaxScore);
- MaxScore, forced to prune: share of the query's postings in the essential lists, candidates
  left for exact rescoring;
- the exact top-10 structure: k-th score vs the sum of the query terms' upper bounds, and how far
  the 100th / 1000th scores are below the 10th (a flat top makes approximate search hard).

    nice .venv/bin/python eval/profile_search.py scifact synth-1000000
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.sparse as sp

from _corpora import open_corpus, query_rows


def main() -> None:
    from splade_search.indexes import CsrIndex
    from splade_search.indexes.csr import numba_kernels
    from splade_search.indexes.csr.blockmax import term_maxima

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpora", nargs="+")
    parser.add_argument("--queries", type=int, default=100)
    for name in parser.parse_args().corpora:
        corpus = open_corpus(name)
        rows = query_rows(corpus.queries)[: parser.parse_args().queries]
        index = CsrIndex.open(corpus.index_path("csr"), verify=False)
        postings, n_docs, width = index.postings, len(index), len(corpus.vocab)
        maxima, _ = term_maxima(postings)
        stats, acc = np.zeros(4, dtype=np.int64), np.zeros(n_docs, dtype=np.float32)
        runs = {
            "index.search(mode='pruned')": lambda t, w: index.search(
                sp.csr_matrix((w, t, [0, len(t)]), shape=(1, width)), 10, threads=1, mode="pruned"
            ),
            "dense kernel": lambda t, w: numba_kernels.dense_top_k(*postings, t, w, 10, acc),
            "maxscore kernel (forced)": lambda t, w: numba_kernels.maxscore_top_k(
                *postings, maxima, t, w, 10, 1.0, 0.0, stats, acc
            ),
        }
        print(f"\n{name}: {n_docs} docs, {len(rows)} queries")
        for label, run in runs.items():
            for t, w in rows[:10]:
                run(t, w)
            seconds, shares, kept = [], [], []
            for t, w in rows:
                start = time.perf_counter()
                run(t, w)
                seconds.append(time.perf_counter() - start)
                total = int(np.sum(postings.indptr[t + 1] - postings.indptr[t]))
                shares.append(stats[2] / total)
                kept.append(stats[3])
            extra = ""
            if "maxscore" in label:
                extra = f"; essential postings {np.median(shares):.0%}, candidates {np.median(kept):.0f}"
            print(f"  {label}: median {1000 * np.median(seconds):.3f} ms{extra}")
        flatness(index, rows, maxima)


def flatness(index, rows, maxima) -> None:
    """The k-th score against the bound sum and deeper ranks (medians over queries)."""
    tenth, bound, r100, r1000 = [], [], [], []
    for t, w in rows:
        found = index.search(sp.csr_matrix((w, t, [0, len(t)]), shape=(1, len(index.vocab))), 1000, threads=1)[0]
        if len(found) < 1000:
            continue
        tenth.append(found.scores[9])
        bound.append(float(np.sum(np.abs(w) * maxima[t])))
        r100.append(found.scores[99] / found.scores[9])
        r1000.append(found.scores[999] / found.scores[9])
    print(f"  10th score / sum of term bounds: {np.median(np.array(tenth) / np.array(bound)):.2f}; "
          f"100th / 10th score: {np.median(r100):.3f}; 1000th / 10th: {np.median(r1000):.3f}")


if __name__ == "__main__":
    main()
