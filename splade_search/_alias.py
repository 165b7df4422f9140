"""Module aliases loaded on first use: a module that re-exports another module's public names lazily."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_alias(alias: str, target: str) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of module ``alias``: the public names of ``target``, imported when first used."""

    def __getattr__(name: str) -> Any:
        if name == "__all__" or not name.startswith("__"):
            module = importlib.import_module(target)
            if name == "__all__" or name in module.__all__:
                return getattr(module, name)
        raise AttributeError(f"module {alias!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(importlib.import_module(target).__all__)

    return __getattr__, __dir__
