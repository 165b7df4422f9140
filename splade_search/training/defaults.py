"""Training defaults that several places state (the trainer, the recipes, the ``train`` help): one source each."""

from __future__ import annotations

from ..hub import DEFAULT_MODEL

REGULARIZER_WEIGHTS = {"splade": (5e-5, 3e-5), "inference-free": (0.0, 3e-4)}
"""FLOPS regularizer weights ``(query, document)`` per architecture (SPLADE v2 / inference-free SPLADE papers)."""

DEFAULT_MODELS = {"splade": DEFAULT_MODEL, "inference-free": DEFAULT_MODEL, "csr": "minilm"}
"""Base model per architecture when none is given."""

LEARNING_RATES = {"splade": 2e-5, "inference-free": 2e-5, "csr": 4e-5}
"""Base learning rate per architecture when none is given."""


def regularizer_text(architecture: str = "splade") -> str:
    """``query 5e-5, document 3e-5``: the default weights of ``architecture``, for messages."""
    query, document = REGULARIZER_WEIGHTS[architecture]
    return f"query {query:g}, document {document:g}"

DEFAULT_EVAL_STEPS = 100
"""Steps between evaluations (and checkpoints) when neither ``eval_steps`` nor ``save_steps`` is given."""
