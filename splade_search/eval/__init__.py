"""Evaluation: IR metrics and evaluators. Names load on first use, so importing this package is cheap."""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "EvaluationResult": "splade_search.eval.metrics",
    "evaluate_rankings": "splade_search.eval.metrics",
    "evaluate_run": "splade_search.eval.metrics",
    "metric_key": "splade_search.eval.metrics",
    "with_prefix": "splade_search.eval.metrics",
}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'splade_search.eval' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
