"""Index the bundled sample corpus and search it from Python, as a retrieval pipeline would.

Run: .venv/bin/python examples/index_and_search.py [INDEX_FOLDER]   (default: /tmp/sample-index)
"""

import sys
from pathlib import Path

import splade_search
from splade_search import SparseEncoder
from splade_search.data import read_corpus
from splade_search.retrieval import SparseRetriever, index_corpus

corpus = Path(splade_search.__file__).parent / "samples" / "corpus.jsonl"
folder = sys.argv[1] if len(sys.argv) > 1 else "/tmp/sample-index"
model = SparseEncoder("splade-tiny")

report = index_corpus(model, read_corpus(corpus), folder, model_reference="splade-tiny", resume=False)
print(report.index.stats())

retriever = SparseRetriever(model, report.index)  # later: SparseRetriever.from_index(folder)
for query, hits in zip(["why does bread rise", "black holes"], retriever.search(["why does bread rise", "black holes"], k=3, explain=True)):
    print(f"\n{query}")
    for hit in hits:
        why = ", ".join(f"{t.token}={t.contribution:.2f}" for t in hit.terms[:3])
        print(f"  {hit.rank}. {hit.id:<16} {hit.score:6.2f}  {hit.title}  ({why})")

run = retriever.run({"q1": "what causes diabetes", "q2": "volcanoes erupt"}, k=5)  # {qid: {doc_id: score}}
print("\nrun:", {qid: list(hits)[:3] for qid, hits in run.items()})
