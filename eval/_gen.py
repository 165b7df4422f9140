"""Scaled synthetic corpora drawn from the statistics of real SPLADE vectors.

Generator (term-major, vectorised; deterministic for a seed):

1. Real statistics come from the cached vectors of the real corpora (`_vectors`): each term's
   document frequency ``df_t`` among ``N_real`` documents, each term's observed weights, and the
   documents' lengths (active terms).
2. Each synthetic document ``d`` gets a length factor ``lambda_d`` bootstrapped from the real
   lengths, so long and short documents keep their real proportions.
3. Each term ``t`` occurs in about ``m_t ~ Binomial(N, df_t / N_real)`` synthetic documents, each
   drawn with probability proportional to ``lambda_d`` (see `_pick_documents`): document
   frequencies scale with the corpus and a document's expected length is about ``lambda_d``.
4. Each posting's weight is one of term ``t``'s real weights, picked at random, times a small
   log-normal jitter (sigma 0.05) so that weights do not repeat exactly.

Terms are independent given the document length: real topical co-occurrence is not kept, which
makes these corpora (``synth-<N>``) the worst case for dynamic pruning and approximate search.

The *topical* variant (``topic-<N>``, `generate_topical`) keeps co-occurrence: each synthetic
document blends two random real documents (the element-wise maximum of their vectors), keeps each
of the blend's terms with probability ``lambda_d / blend length`` (so lengths follow the real
ones), multiplies each kept weight by the same log-normal jitter, and adds 10 % of its length as
independent terms drawn as above. A real document thus has about ``2 N / N_real`` descendants,
which share its topic without being copies.

Usage: ``nice .venv/bin/python eval/_gen.py synth-100000 topic-1000000`` caches
``eval/_work/<name>-<chunk>-<size>.npz`` (``--sources scifact``: drawn from SciFact alone, cached as
``<name>-from-scifact-<chunk>-<size>.npz``).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from _vectors import WORK, load

SOURCES = ("scifact", "arguana")
_JITTER = 0.05
CHUNK = 1_000_000


def real_statistics(names: tuple[str, ...] = SOURCES) -> tuple[sp.csc_matrix, np.ndarray]:
    """The real documents of ``names`` stacked term-major, and their lengths."""
    docs = sp.vstack([load(name).docs for name in names]).tocsr()
    return docs.tocsc(), np.diff(docs.indptr)


def generate(
    n_docs: int, seed: int = 0, names: tuple[str, ...] = SOURCES, length_share: float = 1.0
) -> sp.csr_matrix:
    """A synthetic ``n_docs`` x vocab matrix of float32 weights (see the module docstring).

    ``length_share`` scales every document frequency (0.1: documents of a tenth of the length).
    """
    rng = np.random.default_rng(seed)
    real, lengths = real_statistics(names)
    df = np.diff(real.indptr) * length_share
    factor = rng.choice(lengths, size=n_docs).astype(np.float64)
    share = factor / factor.sum()
    cdf = np.cumsum(share)
    docs_out, weights_out, counts = [], [], np.zeros(real.shape[1], dtype=np.int64)
    for term in np.flatnonzero(df):
        target = rng.binomial(n_docs, df[term] / real.shape[0])
        if target == 0:
            continue
        chosen = _pick_documents(rng, share, cdf, target)
        observed = real.data[real.indptr[term] : real.indptr[term + 1]]
        weights = rng.choice(observed, size=len(chosen)) * np.exp(rng.normal(0.0, _JITTER, size=len(chosen)))
        docs_out.append(chosen)
        weights_out.append(weights.astype(np.float32))
        counts[term] = len(chosen)
    indptr = np.zeros(real.shape[1] + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    arrays = (np.concatenate(weights_out), np.concatenate(docs_out), indptr)
    matrix = sp.csc_matrix(arrays, shape=(n_docs, real.shape[1]))
    return matrix.tocsr()


def generate_topical(n_docs: int, seed: int = 0, names: tuple[str, ...] = SOURCES) -> sp.csr_matrix:
    """A synthetic corpus that keeps real co-occurrence (see the module docstring)."""
    rng = np.random.default_rng(seed)
    real = sp.vstack([load(name).docs for name in names]).tocsr()
    lengths = np.diff(real.indptr)
    first, second = rng.integers(0, real.shape[0], size=(2, n_docs))
    blend = real[first].maximum(real[second]).tocsr()
    target = rng.choice(lengths, size=n_docs) * 0.9
    keep_share = np.repeat(np.minimum(1.0, target / np.maximum(1, np.diff(blend.indptr))), np.diff(blend.indptr))
    blend.data = blend.data * (rng.random(blend.nnz) < keep_share)
    blend.data *= np.exp(rng.normal(0.0, _JITTER, size=blend.nnz)).astype(np.float32)
    blend.eliminate_zeros()
    noise = generate(n_docs, seed=seed + 1, names=names, length_share=0.1)
    return blend.maximum(noise).tocsr().astype(np.float32)


def _pick_documents(rng: np.random.Generator, share: np.ndarray, cdf: np.ndarray, target: int) -> np.ndarray:
    """About ``target`` distinct documents, each drawn with probability proportional to ``share``.

    Frequent terms: one Bernoulli draw per document with probability ``min(1, target x share)``;
    rare terms: ``target`` draws with replacement from ``cdf`` (repeats are rare and dropped).
    """
    n_docs = len(share)
    if target * 32 > n_docs:
        return np.flatnonzero(rng.random(n_docs) < np.minimum(1.0, target * share)).astype(np.int32)
    draws = np.searchsorted(cdf, rng.random(target), side="right")
    return np.unique(np.minimum(draws, n_docs - 1)).astype(np.int32)


def chunk_paths(name: str, sources: tuple[str, ...] = SOURCES) -> list[Path]:
    """The cached chunk files of corpus ``name`` (``synth-<N>`` or ``topic-<N>``, `CHUNK` docs at most each).

    Corpora drawn from other ``sources`` than `SOURCES` are cached under names that say so.
    """
    n_docs = int(name.split("-")[1])
    sizes = [min(CHUNK, n_docs - start) for start in range(0, n_docs, CHUNK)]
    tag = "" if tuple(sources) == SOURCES else "-from-" + "+".join(sources)
    return [WORK / f"{name}{tag}-{i}-{size}.npz" for i, size in enumerate(sizes)]


def chunks(name: str, sources: tuple[str, ...] = SOURCES, cache: bool = True) -> Iterator[sp.csr_matrix]:
    """Corpus ``name`` chunk by chunk (generated and, with ``cache``, cached when missing).

    Chunks are independent samples of the same process (seeded by corpus size and chunk number),
    so their concatenation is one sample of the whole corpus; memory stays bounded.
    """
    kind, n_docs = name.split("-")[0], int(name.split("-")[1])
    make = generate_topical if kind == "topic" else generate
    for number, path in enumerate(chunk_paths(name, sources)):
        if path.exists():
            with np.load(path, allow_pickle=False) as f:
                yield sp.csr_matrix((f["data"], f["indices"], f["indptr"]), shape=tuple(f["shape"]))
            continue
        size = int(path.stem.rsplit("-", 1)[1])
        matrix = make(size, seed=n_docs * 1000 + number, names=sources)
        if cache:
            np.savez(path, indptr=matrix.indptr, indices=matrix.indices, data=matrix.data, shape=np.array(matrix.shape))
        yield matrix
        del matrix


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="+")
    parser.add_argument("--sources", nargs="+", default=list(SOURCES), help="real corpora whose statistics are drawn from")
    args = parser.parse_args()
    for name in args.names:
        start = time.perf_counter()
        lengths = np.concatenate([np.diff(chunk.indptr) for chunk in chunks(name, tuple(args.sources))])
        low, high = np.percentile(lengths, [10, 90])
        print(f"{name}: {lengths.sum()} postings, {lengths.mean():.1f} terms/doc (p10 {low:.0f}, "
              f"p90 {high:.0f}), {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
