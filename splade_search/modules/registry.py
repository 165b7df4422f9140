"""The explicit table from module type strings (ours, sentence-transformers v5 and v6) to classes.

Model folders name each module's class as a dotted string. Nothing is ever imported from such a
string: only the names listed in `splade_search.module_types` are accepted; any other one is refused with ModelFormatError.
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import InputError, ModelFormatError, SpladeSearchError
from ..module_types import TYPE_ALIASES, WRITE_NAMES
from .base import Module, read_json


def module_classes() -> dict[str, type[Module]]:
    """Class name -> class, for every module this package implements."""
    from . import (
        MLMTransformer,
        Normalize,
        Pooling,
        Router,
        SparseAutoEncoder,
        SparseStaticEmbedding,
        SpladePooling,
        Transformer,
    )

    classes = [MLMTransformer, SpladePooling, SparseStaticEmbedding, SparseAutoEncoder, Router, Transformer, Pooling, Normalize]
    return {cls.__name__: cls for cls in classes}


def resolve_type(type_name: str, module_path: str | None = None) -> type[Module]:
    """The class for a module type string; a v6 fill-mask ``Transformer`` resolves to MLMTransformer."""
    name = TYPE_ALIASES.get(type_name)
    if name is None:
        known = sorted({n for n in TYPE_ALIASES.values()})
        raise ModelFormatError(
            f"unknown module type {type_name!r}" + (f" in {module_path}" if module_path else "")
            + f"; splade-search knows {known} (sentence-transformers v5/v6 spellings)"
        )
    if name == "Transformer" and module_path and _is_fill_mask(module_path):
        name = "MLMTransformer"
    return module_classes()[name]


def _is_fill_mask(module_path: str) -> bool:
    config_path = os.path.join(module_path, "sentence_bert_config.json")
    return os.path.exists(config_path) and read_json(config_path).get("transformer_task") == "fill-mask"


def load_module(type_name: Any, module_path: str, **kwargs: Any) -> Module:
    """Load the module saved at ``module_path`` whose type string is ``type_name``."""
    if not isinstance(type_name, str):
        raise ModelFormatError(f"module type {type_name!r} of {module_path} is not a string")
    cls = resolve_type(type_name, module_path)
    if getattr(cls, "needs_folder", True) and not os.path.isdir(module_path):
        raise ModelFormatError(f"module folder {module_path} is missing")
    return load_class(cls, module_path, **kwargs)


def load_class(cls: type[Module], module_path: str, **kwargs: Any) -> Module:
    """``cls.load(module_path)`` with the kwargs it takes; any failure is a ModelFormatError naming the folder."""
    accepted = {k: v for k, v in kwargs.items() if k in getattr(cls, "load_kwargs", ())}
    try:
        return cls.load(module_path, **accepted)
    except InputError as exc:  # a setting the module refuses came from the folder's config
        raise ModelFormatError(f"{module_path} cannot be loaded as {cls.__name__} ({' '.join(str(exc).split())[:300]})") from exc
    except SpladeSearchError:
        raise
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, OSError, RuntimeError) as exc:
        if "trust_remote_code" in str(exc):
            raise ModelFormatError(
                f"{module_path} needs its own Python code (auto_map) to load as {cls.__name__}; splade-search runs "
                "a model's code only when you pass trust_remote_code=True (--trust-remote-code) and trust it"
            ) from exc
        detail = " ".join(str(exc).split())[:300]
        raise ModelFormatError(f"{module_path} cannot be loaded as {cls.__name__} ({type(exc).__name__}: {detail})") from exc


def write_name(module: Module) -> str:
    """The type string to write into modules.json for ``module``."""
    return WRITE_NAMES[type(module).__name__]


def router_type_name(module: Module) -> str:
    """The type string written into router_config.json (``module.Class``, as sentence-transformers v5 does)."""
    return f"{WRITE_NAMES[type(module).__name__]}.{type(module).__name__}"
