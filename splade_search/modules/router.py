"""Router: send queries and documents (or any named task) through different module chains.

The inference-free SPLADE is a Router whose ``query`` route is a SparseStaticEmbedding and whose
``document`` route is MLMTransformer + SpladePooling. Saved as ``router_config.json`` in the model
root with one ``{route}_{i}_{Class}`` sub-folder per module.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from torch import nn

from ..errors import InputError, ModelFormatError
from .base import InputModule, Module, read_json

logger = logging.getLogger(__name__)


class Router(InputModule):
    """Route features through one of several module chains, chosen by ``task``."""

    config_file_name = "router_config.json"

    def __init__(
        self,
        sub_modules: dict[str, list[Module]],
        default_route: str | None = None,
        allow_empty_key: bool = True,
    ) -> None:
        super().__init__()
        if not sub_modules:
            raise InputError("Router needs at least one route")
        for route, modules in sub_modules.items():
            if not modules:
                raise InputError(f"route {route!r} has no modules")
            if not isinstance(modules[0], InputModule):
                raise InputError(f"the first module of route {route!r} must tokenize text (an InputModule)")
        if default_route is not None and default_route not in sub_modules:
            raise InputError(f"default_route {default_route!r} is not one of the routes {list(sub_modules)}")
        self.sub_modules = nn.ModuleDict({route: nn.Sequential(*modules) for route, modules in sub_modules.items()})
        self.default_route = default_route
        self.allow_empty_key = allow_empty_key

    @classmethod
    def for_query_document(
        cls,
        query_modules: list[Module],
        document_modules: list[Module],
        default_route: str | None = "document",
        allow_empty_key: bool = True,
    ) -> "Router":
        """A Router with a ``query`` and a ``document`` route."""
        return cls({"query": query_modules, "document": document_modules}, default_route, allow_empty_key)

    @property
    def routes(self) -> list[str]:
        return list(self.sub_modules.keys())

    def resolve_route(self, task: str | None) -> str:
        """The route for ``task``, falling back to the default route."""
        if task is not None and task in self.sub_modules:
            return task
        if task is not None and not self.allow_empty_key:
            raise InputError(f"no route for task {task!r}; routes are {self.routes}")
        if self.default_route is None:
            raise InputError(
                f"no route for task {task!r} and no default_route; pass task= one of {self.routes} "
                "(encode_query / encode_document do this for you)"
            )
        return self.default_route

    def tokenize(self, texts: list[str], task: str | None = None, **kwargs: Any) -> dict[str, Any]:
        """Tokenize with the chosen route's input module and record the route in ``features['task']``."""
        route = self.resolve_route(task)
        features = self.sub_modules[route][0].tokenize(texts, **kwargs)
        features["task"] = route
        return features

    def forward(self, features: dict[str, Any], task: str | None = None, **kwargs: Any) -> dict[str, Any]:
        route = self.resolve_route(task if task is not None else features.get("task"))
        for module in self.sub_modules[route]:
            accepted = {k: v for k, v in kwargs.items() if k in getattr(module, "forward_kwargs", ())}
            features = module(features, **accepted)
        return features

    @property
    def forward_kwargs(self) -> set[str]:  # type: ignore[override]
        names: set[str] = {"task"}
        for chain in self.sub_modules.values():
            for module in chain:
                names |= set(getattr(module, "forward_kwargs", ()))
        return names

    def get_sentence_embedding_dimension(self) -> int | None:
        dims = {self._output_dimension(route) for route in self.routes}
        dims.discard(None)
        if len(dims) > 1:
            raise ModelFormatError(f"the Router's routes produce different dimensions: {sorted(dims)}")
        return dims.pop() if dims else None

    def _output_dimension(self, route: str) -> int | None:
        for module in reversed(list(self.sub_modules[route])):
            dim = module.get_sentence_embedding_dimension() if hasattr(module, "get_sentence_embedding_dimension") else None
            if dim is not None:
                return dim
        return None

    @property
    def max_seq_length(self) -> int | None:
        lengths = {route: self.sub_modules[route][0].max_seq_length for route in self.routes}
        values = {v for v in lengths.values() if v is not None}
        if len(values) > 1:
            logger.warning("routes have different max_seq_length %s; reporting the largest", lengths)
        return max(values) if values else None

    @max_seq_length.setter
    def max_seq_length(self, value: int | None) -> None:
        if "sub_modules" not in self._modules:
            return
        from .untrusted import max_seq_length_problem

        for route in self.routes:  # check every route before changing any
            problem = max_seq_length_problem(value, self.sub_modules[route][0].position_limit())
            if problem:
                raise InputError(f"route {route!r}: {problem}")
        for route in self.routes:
            self.sub_modules[route][0].max_seq_length = value

    def module_folders(self) -> dict[str, Module]:
        """``{route}_{i}_{Class}`` folder name -> module, in route order."""
        return {
            f"{route}_{i}_{type(module).__name__}": module
            for route in self.routes
            for i, module in enumerate(self.sub_modules[route])
        }

    def save(self, output_path: str, safe_serialization: bool = True) -> None:
        from .registry import router_type_name

        import json

        folders = self.module_folders()
        for name, module in folders.items():
            module.save(os.path.join(output_path, name), safe_serialization=safe_serialization)
        config = {
            "types": {name: router_type_name(module) for name, module in folders.items()},
            "structure": {route: [n for n in folders if n.startswith(f"{route}_")] for route in self.routes},
            "parameters": {"default_route": self.default_route, "allow_empty_key": self.allow_empty_key},
        }
        with open(os.path.join(output_path, self.config_file_name), "w", encoding="utf-8") as f:
            json.dump(config, f, indent=2)

    load_kwargs = ("model_args", "tokenizer_args", "config_args", "trust_remote_code")

    @classmethod
    def load(cls, model_path: str, **kwargs: Any) -> "Router":
        from .registry import load_module
        from .untrusted import inside_folder

        path = os.path.join(model_path, cls.config_file_name)
        if not os.path.exists(path):
            path = os.path.join(model_path, "config.json")
        if not os.path.exists(path):
            raise ModelFormatError(f"{model_path} has no router_config.json")
        config = read_json(path)
        types, structure, params = config.get("types"), config.get("structure"), config.get("parameters") or {}
        if not isinstance(types, dict) or not isinstance(structure, dict) or not isinstance(params, dict):
            raise ModelFormatError(f"{path} needs 'types' and 'structure' objects (and optional 'parameters')")
        routes: dict[str, list[Module]] = {}
        for route, names in structure.items():
            if not isinstance(names, list) or not all(isinstance(n, str) and n in types for n in names):
                raise ModelFormatError(f"{path}: route {route!r} must list module folders named in 'types', got {names!r}")
            routes[route] = [
                load_module(types[name], inside_folder(model_path, name, path, name), **kwargs) for name in names
            ]
        default_route, allow_empty = params.get("default_route"), params.get("allow_empty_key", True)
        if not isinstance(allow_empty, bool) or not (default_route is None or isinstance(default_route, str)):
            raise ModelFormatError(f"{path}: 'parameters' has a mistyped default_route or allow_empty_key")
        try:
            return cls(routes, default_route, allow_empty)
        except ValueError as exc:
            raise ModelFormatError(f"{path}: {exc}") from exc

    def __repr__(self) -> str:
        inner = ", ".join(f"{route}: [{', '.join(type(m).__name__ for m in chain)}]" for route, chain in self.sub_modules.items())
        return f"Router({inner}, default_route={self.default_route!r})"
