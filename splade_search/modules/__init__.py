"""The building blocks of a SparseEncoder, one per file."""

from .base import InputModule, Module
from .mlm_transformer import MLMTransformer
from .normalize import Normalize
from .pooling import Pooling
from .router import Router
from .sparse_autoencoder import SparseAutoEncoder
from .splade_pooling import SpladePooling
from .static_embedding import SparseStaticEmbedding
from .transformer import Transformer

Asym = Router

__all__ = [
    "Asym",
    "InputModule",
    "MLMTransformer",
    "Module",
    "Normalize",
    "Pooling",
    "Router",
    "SparseAutoEncoder",
    "SparseStaticEmbedding",
    "SpladePooling",
    "Transformer",
]
