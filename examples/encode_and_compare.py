"""Encode queries and documents with the embedded tiny SPLADE, inspect the expansions, score them.

Run: .venv/bin/python examples/encode_and_compare.py [SAVE_FOLDER]   (default: /tmp/splade-tiny-copy)
"""

import sys

from splade_search import SparseEncoder

model = SparseEncoder("splade-tiny")  # an embedded alias; a local folder or a hub id work the same way

queries = ["what causes diabetes", "how do vaccines work"]
documents = [
    "Type 2 diabetes develops when the body becomes resistant to insulin.",
    "Vaccines expose the immune system to a harmless piece of a virus.",
    "Yeast ferments the sugars in dough, which makes bread rise.",
]

query_embeddings = model.encode_query(queries)  # torch sparse COO, shape [2, 30522]
document_embeddings = model.encode_document(documents)

for query, embedding in zip(queries, query_embeddings.to_dense()):
    terms = ", ".join(f"{token} {weight:.2f}" for token, weight in model.decode(embedding, top_k=6))
    print(f"{query!r} -> {terms}")

print("\nactive dims:", model.sparsity(query_embeddings), model.sparsity(document_embeddings))
print("\nscores (dot product):")
print(model.similarity(query_embeddings, document_embeddings))

shared = model.intersection(query_embeddings.to_dense()[0], document_embeddings.to_dense()[0])
print("\nwhy document 0 matches query 0:", model.decode(shared, top_k=5))

folder = sys.argv[1] if len(sys.argv) > 1 else "/tmp/splade-tiny-copy"
model.save(folder)  # a sentence-transformers folder: SparseEncoder(folder) reloads it
print("\nsaved to", folder)
