"""The evaluators under their sentence-transformers module name (``sentence_transformers.sparse_encoder.evaluation``).

An alias of `splade_search.eval.evaluators`, loaded on first use:
``from splade_search.evaluation import SparseNanoBEIREvaluator`` is
``from splade_search.eval.evaluators import SparseNanoBEIREvaluator``. It also holds
``SequentialEvaluator``, which sentence-transformers keeps in ``sentence_transformers.evaluation``.
"""

from __future__ import annotations

import importlib
from typing import Any

_TARGET = "splade_search.eval.evaluators"


def __getattr__(name: str) -> Any:
    if name == "__all__" or not name.startswith("__"):
        target = importlib.import_module(_TARGET)
        if name == "__all__" or name in target.__all__:
            return getattr(target, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(importlib.import_module(_TARGET).__all__)
