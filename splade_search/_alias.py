"""Names loaded on first use: a package that exports names from its submodules lazily, and a module
that re-exports another module's public names lazily (so `import splade_search` stays cheap)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
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


def lazy_names(package: str, names: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package`` exporting each of ``names`` from the module it maps to
    (an absolute module name, or ``.module`` relative to ``package``), imported when first used."""

    def __getattr__(name: str) -> Any:
        if name in names:
            return getattr(importlib.import_module(names[name], package), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(names) | set(_extra_names(package)))

    return __getattr__, __dir__


def _extra_names(package: str) -> list[str]:
    """Names a package lists in ``__all__`` beyond its lazy ones (e.g. ``__version__``)."""
    import sys

    module = sys.modules.get(package)
    return list(getattr(module, "__all__", [])) if module is not None else []
