"""The training losses under their sentence-transformers module name (``sentence_transformers.sparse_encoder.losses``).

An alias of `splade_search.training.losses`, loaded on first use:
``from splade_search.losses import SpladeLoss`` is ``from splade_search.training.losses import SpladeLoss``.
"""

from __future__ import annotations

from ._alias import lazy_alias

__getattr__, __dir__ = lazy_alias(__name__, "splade_search.training.losses")
