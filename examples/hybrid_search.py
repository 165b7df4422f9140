"""Hybrid retrieval: the embedded tiny SPLADE, BM25 and MiniLM dense, fused with reciprocal rank fusion.

Every retriever returns the same `Hit`s; a `HybridRetriever` is a retriever over retrievers, and each
fused hit says where every leg ranked it. Runs offline on the bundled sample corpus:
    python examples/hybrid_search.py "why does bread rise"
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from splade_search import SparseEncoder
from splade_search.bm25 import BM25Retriever
from splade_search.data import read_corpus
from splade_search.dense import DenseRetriever
from splade_search.retrieval import HybridRetriever, SparseRetriever, index_corpus

CORPUS = Path(__file__).resolve().parent.parent / "splade_search" / "samples" / "corpus.jsonl"


def main() -> None:
    query = " ".join(sys.argv[1:]) or "what causes diabetes"
    with tempfile.TemporaryDirectory() as tmp:
        model = SparseEncoder("splade-tiny")
        report = index_corpus(model, read_corpus(CORPUS), Path(tmp) / "sparse", model_reference="splade-tiny", show_progress=False)
        legs = {
            "sparse": SparseRetriever(model, report.index),
            "bm25": BM25Retriever.build(read_corpus(CORPUS), Path(tmp) / "bm25", implementation="inprocess"),
            "dense": DenseRetriever.build("minilm", read_corpus(CORPUS), Path(tmp) / "dense"),
        }
        hybrid = HybridRetriever(legs, method="rrf", depth=20)
        for name, leg in legs.items():
            print(f"{name:>6}: {[hit.id for hit in leg.search(query, k=3)]}")
        print(f"fused ({query!r}):")
        for hit in hybrid.search(query, k=5):
            ranks = ", ".join(f"{name} #{leg.rank}" for name, leg in hit.legs.items())
            print(f"  {hit.rank}. {hit.id:<20} {hit.score:.4f}  ({ranks})")


if __name__ == "__main__":
    main()
