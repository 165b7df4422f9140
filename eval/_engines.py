"""Peer engines behind one small interface: build an index from a `BenchCorpus`, then search it.

Every engine gets the same vectors. Integer engines get ``round(weight x 100)`` (pyserini's SPLADE
convention, never clipped) for documents and queries, except bmp, whose document weights wrap
above 255 (its scale is ``min(100, 255 / max weight)``). Results are document numbers.

- ``csr``: this package's `CsrIndex` (float32; ``csr-uint8``: 8-bit weights); search mode per variant
  (``pruned-numpy``: mode ``pruned`` without numba).
- ``lucene``: this package's `LuceneIndex` (Anserini impact index, scale 100).
- ``pyserini``: pyserini's ``LuceneImpactSearcher`` on the ``lucene`` engine's index (its JVM is
  started by `splade_search.indexes.lucene.java` first, pitfalls P3-P7 of engines.md handled).
- ``pisa``: pyterrier-pisa, ``maxscore`` or ``block_max_wand`` through ``_pisathon.retrieve``.
- ``bmp``: Block-Max Pruning (bsize 32, alpha = beta = 1).
"""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from _corpora import BenchCorpus

SCALE = 100.0
Hits = list[int]


def _int_rows(corpus: BenchCorpus, scale: float) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    number = 0
    for chunk in corpus.chunks():
        values = np.rint(chunk.data.astype(np.float64) * scale).astype(np.int64)
        for a, b in zip(chunk.indptr[:-1].tolist(), chunk.indptr[1:].tolist(), strict=True):
            yield number, chunk.indices[a:b], values[a:b]
            number += 1


def _toks(terms: np.ndarray, values: np.ndarray) -> dict[str, int]:
    return {f"t{t}": v for t, v in zip(terms.tolist(), values.tolist(), strict=True) if v > 0}


def build(engine: str, corpus: BenchCorpus, path: Path) -> None:
    """Build ``engine``'s index of ``corpus`` at ``path`` (replacing one there)."""
    shutil.rmtree(path, ignore_errors=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    if engine in ("csr", "csr-uint8"):
        from splade_search.indexes import CsrIndex

        quantization = "uint8" if engine == "csr-uint8" else None
        CsrIndex.build(path, corpus.batches(), corpus.vocab, show_progress=False, quantization=quantization)
    elif engine == "lucene":
        from splade_search.indexes import LuceneIndex

        LuceneIndex.build(path, corpus.batches(), corpus.vocab, show_progress=False, scale=SCALE, threads=2)
    elif engine == "pisa":
        from pyterrier_pisa import PisaIndex

        docs = ({"docno": str(n), "toks": _toks(t, v)} for n, t, v in _int_rows(corpus, SCALE))
        index = PisaIndex(str(path), stemmer="none", threads=2).toks_indexer(scale=1.0).index(docs)
        index.quantized(query_algorithm="maxscore")  # compresses the index and writes its score bounds
    elif engine == "bmp":
        import bmp

        path.mkdir()
        indexer = bmp.Indexer(str(path / "index.bmp"), bsize=32, compress_range=False)
        for n, t, v in _int_rows(corpus, bmp_scale(corpus)):
            indexer.add_document(str(n), _toks(t, v))
        indexer.finish()
    else:
        raise ValueError(f"unknown engine {engine}")


def search_bytes(engine: str, path: Path) -> int:
    """Bytes of the files a search needs (PISA keeps its uncompressed build input ``inv.*`` beside them)."""
    files = [f for f in path.rglob("*") if f.is_file()]
    if engine == "pisa":
        files = [f for f in files if not f.name.startswith("inv.")]
    return sum(f.stat().st_size for f in files)


def bmp_scale(corpus: BenchCorpus) -> float:
    """bmp's document scale: 100, or less where the largest weight would pass 255."""
    peak = max(float(chunk.data.max()) for chunk in corpus.chunks())
    return min(SCALE, 255.0 / peak)


class Searcher:
    """One engine's opened index: ``search(terms, weights, k)`` for one query, ``batch`` for many."""

    def __init__(self, engine: str, corpus: BenchCorpus, variant: str = "", **options: Any) -> None:
        self.engine, self.variant, self.options = engine, variant, options
        self._open = {"csr": self._open_csr, "lucene": self._open_lucene, "pyserini": self._open_pyserini,
                      "pisa": self._open_pisa, "bmp": self._open_bmp}[engine]
        self.search, self.batch = self._open(corpus)

    def _open_csr(self, corpus: BenchCorpus) -> tuple[Callable, Callable]:
        from splade_search.indexes import CsrIndex

        index = CsrIndex.open(corpus.index_path("csr"), verify=False)
        width = len(corpus.vocab)
        mode, options = self.variant or "exact", self.options
        if mode == "pruned-numpy":  # the plain path, as without the fast extra
            os.environ["SPLADE_SEARCH_NO_NUMBA"] = "1"
            mode = "pruned"

        def one(terms: np.ndarray, weights: np.ndarray, k: int) -> Hits:
            row = sp.csr_matrix((weights, terms, [0, len(terms)]), shape=(1, width))
            return index.search(row, k, threads=1, mode=mode, **options)[0].indices.tolist()

        def many(queries: sp.csr_matrix, k: int, threads: int) -> list[Hits]:
            return [r.indices.tolist() for r in index.search(queries, k, threads=threads, mode=mode, **options)]

        return one, many

    def _open_lucene(self, corpus: BenchCorpus) -> tuple[Callable, Callable]:
        from splade_search.indexes import LuceneIndex

        index = LuceneIndex.open(corpus.index_path("lucene"), verify=False)
        width = len(corpus.vocab)

        def one(terms: np.ndarray, weights: np.ndarray, k: int) -> Hits:
            row = sp.csr_matrix((weights, terms, [0, len(terms)]), shape=(1, width))
            return index.search(row, k, threads=1)[0].indices.tolist()

        return one, None

    def _open_pyserini(self, corpus: BenchCorpus) -> tuple[Callable, Callable]:
        from splade_search.indexes import LuceneIndex
        from splade_search.indexes.lucene.anserini import impacts, lucene_terms

        opened = LuceneIndex.open(corpus.index_path("lucene"), verify=False)  # starts the JVM the right way (P3)
        os.environ.setdefault("OPENAI_API_KEY", "placeholder")  # P4
        from pyserini.encode import QueryEncoder
        from pyserini.search.lucene import LuceneImpactSearcher

        terms_of = lucene_terms(corpus.vocab)
        prepared: dict[str, dict[str, int]] = {}

        class Prepared(QueryEncoder):  # P7: the query "text" is a key of prepared vectors
            def encode(self, text: str, **kwargs: Any) -> dict[str, int]:
                return prepared[text]

        searcher = LuceneImpactSearcher(str(opened.folder / "lucene"), Prepared(), min_idf=-1)  # P5

        def encode(terms: np.ndarray, weights: np.ndarray) -> str:
            key = str(len(prepared))
            values = impacts(weights, SCALE).tolist()
            prepared[key] = {terms_of[t]: v for t, v in zip(terms.tolist(), values, strict=True) if v > 0}  # P6
            return key

        def one(terms: np.ndarray, weights: np.ndarray, k: int) -> Hits:
            return [int(hit.docid) for hit in searcher.search(encode(terms, weights), k)]

        def many(queries: sp.csr_matrix, k: int, threads: int) -> list[Hits]:
            bounds = zip(queries.indptr[:-1], queries.indptr[1:], strict=True)
            keys = [encode(queries.indices[a:b], queries.data[a:b]) for a, b in bounds]
            found = searcher.batch_search(keys, keys, k, threads)
            return [[int(hit.docid) for hit in found[key]] for key in keys]

        return one, many

    def _open_pisa(self, corpus: BenchCorpus) -> tuple[Callable, Callable]:
        warnings.filterwarnings("ignore")
        import pyterrier_pisa
        from pyterrier_pisa import PisaIndex, _pisathon

        algorithm = self.variant or "maxscore"
        retriever = PisaIndex(str(corpus.index_path("pisa")), stemmer="none", threads=1).quantized(
            num_results=10, query_algorithm=algorithm, toks_scale=1.0, threads=1
        )
        retriever.stops = pyterrier_pisa.PisaStopwords.none
        retriever.reset_retrieval_context(force=True)
        context = retriever._ctxt

        def run(toks: list[tuple[int, dict[str, float]]], k: int, threads: int) -> list[Hits]:
            size = len(toks) * k
            qidx, docnos = np.empty(size, np.int32), np.empty(size, object)
            ranks, scores = np.empty(size, np.int32), np.empty(size, np.float32)
            n = _pisathon.retrieve(context, algorithm, toks, k=k, threads=threads, query_weighted=1, pretokenised=True,
                                   result_qidxs=qidx, result_docnos=docnos, result_ranks=ranks, result_scores=scores)
            hits: list[Hits] = [[] for _ in toks]
            found = zip(qidx[:n].tolist(), ranks[:n].tolist(), docnos[:n].tolist(), strict=True)
            for q, _, d in sorted(found):
                hits[q].append(int(d))
            return hits

        def prepare(terms: np.ndarray, weights: np.ndarray) -> dict[str, float]:
            values = np.rint(weights.astype(np.float64) * SCALE).astype(np.int64)
            return {term: float(value) for term, value in _toks(terms, values).items()}

        def one(terms: np.ndarray, weights: np.ndarray, k: int) -> Hits:
            return run([(0, prepare(terms, weights))], k, 1)[0]

        def many(queries: sp.csr_matrix, k: int, threads: int) -> list[Hits]:
            rows = zip(queries.indptr[:-1], queries.indptr[1:])
            prepared = [(i, prepare(queries.indices[a:b], queries.data[a:b])) for i, (a, b) in enumerate(rows)]
            return run(prepared, k, threads)

        return one, many

    def _open_bmp(self, corpus: BenchCorpus) -> tuple[Callable, Callable]:
        import bmp

        searcher = bmp.Searcher(str(corpus.index_path("bmp") / "index.bmp"))

        def one(terms: np.ndarray, weights: np.ndarray, k: int) -> Hits:
            query = {f"t{t}": float(w) for t, w in zip(terms.tolist(), weights.tolist(), strict=True)}
            docnos, _ = searcher.search(query, k=k, alpha=1.0, beta=1.0)
            return [int(d) for d in docnos]

        return one, None
