"""Module type strings (ours, sentence-transformers v5 and v6) and the class name each stands for.

Plain data, importable without torch; `modules.registry` maps the names to classes.
"""

from __future__ import annotations

_ST = "sentence_transformers"

# Class name -> the type string written into modules.json (the v5 spelling, which v5 and v6 both read).
WRITE_NAMES = {
    "MLMTransformer": f"{_ST}.sparse_encoder.models.MLMTransformer",
    "SpladePooling": f"{_ST}.sparse_encoder.models.SpladePooling",
    "SparseStaticEmbedding": f"{_ST}.sparse_encoder.models.SparseStaticEmbedding",
    "SparseAutoEncoder": f"{_ST}.sparse_encoder.models.SparseAutoEncoder",
    "Router": f"{_ST}.models.Router",
    "Transformer": f"{_ST}.models.Transformer",
    "Pooling": f"{_ST}.models.Pooling",
    "Normalize": f"{_ST}.models.Normalize",
}

# Every accepted spelling, per class name.
_READ_NAMES = {
    "MLMTransformer": [
        f"{_ST}.sparse_encoder.models.MLMTransformer",
        f"{_ST}.sparse_encoder.models.MLMTransformer.MLMTransformer",
        f"{_ST}.sparse_encoder.modules.MLMTransformer",
        f"{_ST}.sparse_encoder.modules.mlm_transformer.MLMTransformer",
    ],
    "SpladePooling": [
        f"{_ST}.sparse_encoder.models.SpladePooling",
        f"{_ST}.sparse_encoder.models.SpladePooling.SpladePooling",
        f"{_ST}.sparse_encoder.modules.SpladePooling",
        f"{_ST}.sparse_encoder.modules.splade_pooling.SpladePooling",
    ],
    "SparseStaticEmbedding": [
        f"{_ST}.sparse_encoder.models.SparseStaticEmbedding",
        f"{_ST}.sparse_encoder.models.SparseStaticEmbedding.SparseStaticEmbedding",
        f"{_ST}.sparse_encoder.modules.SparseStaticEmbedding",
        f"{_ST}.sparse_encoder.modules.sparse_static_embedding.SparseStaticEmbedding",
    ],
    "SparseAutoEncoder": [
        f"{_ST}.sparse_encoder.models.SparseAutoEncoder",
        f"{_ST}.sparse_encoder.models.SparseAutoEncoder.SparseAutoEncoder",
        f"{_ST}.sparse_encoder.modules.SparseAutoEncoder",
        f"{_ST}.sparse_encoder.modules.sparse_auto_encoder.SparseAutoEncoder",
    ],
    "Router": [
        f"{_ST}.models.Router",
        f"{_ST}.models.Router.Router",
        f"{_ST}.models.Asym",
        f"{_ST}.models.Asym.Asym",
        f"{_ST}.base.modules.Router",
        f"{_ST}.base.modules.router.Router",
        f"{_ST}.sparse_encoder.modules.Router",
    ],
    "Transformer": [
        f"{_ST}.models.Transformer",
        f"{_ST}.models.Transformer.Transformer",
        f"{_ST}.base.modules.Transformer",
        f"{_ST}.base.modules.transformer.Transformer",
        f"{_ST}.sparse_encoder.modules.Transformer",
    ],
    "Pooling": [
        f"{_ST}.models.Pooling",
        f"{_ST}.models.Pooling.Pooling",
        f"{_ST}.sentence_transformer.modules.Pooling",
        f"{_ST}.sentence_transformer.modules.pooling.Pooling",
    ],
    "Normalize": [
        f"{_ST}.models.Normalize",
        f"{_ST}.models.Normalize.Normalize",
        f"{_ST}.base.modules.Normalize",
        f"{_ST}.base.modules.normalize.Normalize",
    ],
}

TYPE_ALIASES: dict[str, str] = {
    alias: name for name, aliases in _READ_NAMES.items() for alias in [*aliases, f"splade_search.modules.{name}"]
}
