"""BM25 as a first-class retriever: Anserini's Lucene BM25, and an in-process twin that agrees with it.

- `Analyzer`: Anserini's default English analysis (StandardTokenizer, possessives, lower case, stop
  words, Porter) in Python.
- `BM25Encoder`: corpus statistics (``bm25.json``); documents encode to Lucene's BM25 weights,
  queries to term counts, so BM25 scores are dot products.
- `index_bm25`: build a BM25 index folder (a normal csr index, plus Anserini's index for Lucene).
- `BM25Retriever`: search it with Lucene (``SimpleSearcher``) or in-process.

Importing this package loads numpy, scipy and regex only (no torch, no Java).
"""

from .analyzer import Analyzer
from .encoder import BM25Encoder
from .indexing import index_bm25, is_bm25_index
from .retriever import BM25Retriever

__all__ = ["Analyzer", "BM25Encoder", "BM25Retriever", "index_bm25", "is_bm25_index"]
