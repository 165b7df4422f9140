"""The training losses under their sentence-transformers module name (``sentence_transformers.sparse_encoder.losses``).

An alias of `splade_search.training.losses`, loaded on first use:
``from splade_search.losses import SpladeLoss`` is ``from splade_search.training.losses import SpladeLoss``.
"""

from __future__ import annotations

import importlib
from typing import Any

_TARGET = "splade_search.training.losses"


def __getattr__(name: str) -> Any:
    if name == "__all__" or not name.startswith("__"):
        target = importlib.import_module(_TARGET)
        if name == "__all__" or name in target.__all__:
            return getattr(target, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(importlib.import_module(_TARGET).__all__)
