"""BM25 as a first-class retriever: Anserini's Lucene BM25, and an in-process twin that agrees with it.

- `Analyzer`: Anserini's default English analysis (StandardTokenizer, possessives, lower case, stop
  words, Porter) in Python.
- `BM25Encoder`: corpus statistics (``bm25.json``); documents encode to Lucene's BM25 weights,
  queries to term counts, so BM25 scores are dot products.
- `index_bm25`: build a BM25 index folder (a normal csr index, plus Anserini's index for Lucene).
- `BM25Retriever`: search it with Lucene (``SimpleSearcher``) or in-process.

Names load on first use (numpy, scipy and regex then; never torch or Java): `is_bm25_index` alone
imports nothing heavy.
"""

from __future__ import annotations

from .._alias import lazy_names

_LAZY = {
    "Analyzer": ".analyzer",
    "BM25Encoder": ".encoder",
    "index_bm25": ".indexing",
    "is_bm25_index": ".marker",
    "BM25Retriever": ".retriever",
}

__all__ = ["Analyzer", "BM25Encoder", "BM25Retriever", "index_bm25", "is_bm25_index"]

__getattr__, __dir__ = lazy_names(__name__, _LAZY)
