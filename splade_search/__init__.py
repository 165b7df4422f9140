"""splade-search: learned sparse retrieval (SPLADE, inference-free SPLADE, CSR) — train, index, search, evaluate.

Importing the package is cheap: torch and transformers load only when a model class is first used.
The training names sit at the top level as in sentence-transformers, and `splade_search.losses` /
`splade_search.evaluation` stand for ``sentence_transformers.sparse_encoder.losses`` / ``.evaluation``,
so a sentence-transformers training script ports by changing its import lines.
"""

from __future__ import annotations

from ._alias import lazy_names

__version__ = "0.1.0"

_LAZY = {
    "SparseEncoder": "splade_search.encoder",
    "SimilarityFunction": "splade_search.similarity",
    "MLMTransformer": "splade_search.modules",
    "SpladePooling": "splade_search.modules",
    "SparseStaticEmbedding": "splade_search.modules",
    "SparseAutoEncoder": "splade_search.modules",
    "Router": "splade_search.modules",
    "Transformer": "splade_search.modules",
    "Pooling": "splade_search.modules",
    "SparseEncoderTrainer": "splade_search.training",
    "SparseEncoderTrainingArguments": "splade_search.training",
    "SparseEncoderDataCollator": "splade_search.training",
    "SparseEncoderModelCardData": "splade_search.model_card",
}

__all__ = ["__version__", *_LAZY]


__getattr__, __dir__ = lazy_names(__name__, _LAZY)
