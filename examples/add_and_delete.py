"""Add documents to a csr index and delete them again, in place; an index already open keeps its snapshot.

`CsrIndex.add` and `CsrIndex.delete` publish a new generation of the index folder in one atomic step
and return it. A reader that opened the index before (a running server, say) keeps searching the
generation it opened, unchanged, until it opens the index again.

    python examples/add_and_delete.py
"""

import tempfile
from pathlib import Path

import splade_search
from splade_search import SparseEncoder
from splade_search.data import Document, read_corpus
from splade_search.indexes import CsrIndex, SparseIndex
from splade_search.retrieval import SparseRetriever, index_corpus
from splade_search.retrieval import document_text

CORPUS = Path(splade_search.__file__).parent / "samples" / "corpus.jsonl"
NEW = [
    Document("mars-rovers", "Mars rovers", "Robotic rovers drive across Mars, drilling rocks and looking for water."),
    Document("sourdough", "Sourdough", "Sourdough bread rises with wild yeast and lactic acid bacteria."),
]
QUERY = "robots exploring mars"

model = SparseEncoder("splade-tiny")


def top_ids(index: SparseIndex) -> list[str]:
    """The ids of the three best hits for QUERY in ``index``."""
    return [hit.id for hit in SparseRetriever(model, index).search(QUERY, k=3)]


with tempfile.TemporaryDirectory() as tmp:
    path = Path(tmp) / "index"
    index_corpus(model, read_corpus(CORPUS), path, model_reference="splade-tiny", show_progress=False)
    opened_before = SparseIndex.open(path)

    # Encode new documents as index_corpus does (title + text), then add vectors and stored texts together.
    vectors = model.encode_document([document_text(doc) for doc in NEW])
    stored = [(doc.id, doc.title, doc.text) for doc in NEW]
    added = CsrIndex.add(path, [([doc.id for doc in NEW], vectors)], documents=stored, show_progress=False)
    print(f"add:    {len(opened_before)} -> {len(added)} documents")
    print(f"  {QUERY!r} in the new generation:  {top_ids(added)}")
    print(f"  {QUERY!r} in the index opened before: {top_ids(opened_before)}  (its snapshot)")

    deleted = CsrIndex.delete(path, ["mars-rovers"])
    print(f"delete: {len(added)} -> {len(deleted)} documents")
    print(f"  {QUERY!r} after the delete: {top_ids(deleted)}")
    print(f"  the index opened before still has {len(opened_before)} documents: {top_ids(opened_before)}")
    reopened = SparseIndex.open(path)
    print(f"reopened: {len(reopened)} documents; 'sourdough' stored as {reopened.documents[len(reopened) - 1].title!r}")
