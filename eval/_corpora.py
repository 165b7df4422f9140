"""The benchmark corpora: real encoded ones (SciFact, ArguAna) and scaled synthetic ones.

A corpus is named ``scifact``, ``arguana``, ``synth-<N>`` or ``topic-<N>`` (see `_gen`); documents
come chunk by chunk (CSR float32 rows, doc ids are the document numbers as strings), queries are
real encoded test queries (the scaled corpora use SciFact's 300 test queries).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from _gen import chunks
from _vectors import WORK, load

INDEXES = WORK / "indexes"
BATCH = 50_000


@dataclass
class BenchCorpus:
    """A corpus as the benchmarks see it."""

    name: str
    n_docs: int
    vocab: list[str]
    queries: sp.csr_matrix

    def chunks(self) -> Iterator[sp.csr_matrix]:
        """The document vectors, chunk by chunk."""
        if self.name.startswith(("synth-", "topic-")):
            yield from chunks(self.name)
        else:
            yield load(self.name).docs

    def batches(self) -> Iterator[tuple[list[str], sp.csr_matrix]]:
        """``(ids, rows)`` batches for `splade_search.indexes` builds."""
        offset = 0
        for chunk in self.chunks():
            for start in range(0, chunk.shape[0], BATCH):
                rows = chunk[start : start + BATCH]
                yield [str(n) for n in range(offset + start, offset + start + rows.shape[0])], rows
            offset += chunk.shape[0]

    def index_path(self, engine: str) -> Path:
        """Where ``engine`` keeps its index of this corpus."""
        return INDEXES / self.name / engine


def open_corpus(name: str) -> BenchCorpus:
    """The corpus ``name`` (``scifact``, ``arguana``, ``synth-<N>`` or ``topic-<N>``)."""
    vocab = json.loads((WORK / "vocab.json").read_text())
    if name.startswith(("synth-", "topic-")):
        return BenchCorpus(name, int(name.split("-", 1)[1]), vocab, load("scifact").queries)
    real = load(name)
    return BenchCorpus(name, real.docs.shape[0], vocab, real.queries)


def query_rows(queries: sp.csr_matrix) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each query as ``(term ids, weights)``."""
    return [
        (queries.indices[a:b].astype(np.int64), queries.data[a:b].astype(np.float32))
        for a, b in zip(queries.indptr[:-1], queries.indptr[1:], strict=True)
    ]
