"""One call from options to a ready retriever: a single index, a hybrid of indexes, optionally reranked.

This is what the CLI's ``query``, ``eval`` and ``serve`` call (``--hybrid``, ``--fusion``,
``--rerank``...): `build_retriever`, `load_reranker` and `reranking` (one reranking model over several first stages). `open_retriever` opens any index folder with the retriever
its manifest calls for (see `opener`); `parse_assignments` reads ``name=value,name=value``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import InputError
from .fusion import DEFAULT_RRF_K, check_fusion
from .hits import Retriever
from .opener import index_kind, open_retriever
from .hybrid import DEFAULT_DEPTH, HybridRetriever
from .rerank import DEFAULT_RERANK_DEPTH, Reranker


def parse_assignments(text: str | Mapping[str, Any] | None, flag: str) -> dict[str, str]:
    """``"a=x,b=y"`` as ``{"a": "x", "b": "y"}`` (a mapping is taken as it is); `InputError` naming ``flag``."""
    if text is None:
        return {}
    if isinstance(text, Mapping):
        return {str(k): v for k, v in text.items()}
    pairs: dict[str, str] = {}
    for part in (p.strip() for p in str(text).split(",")):
        name, sep, value = part.partition("=")
        if not part or not sep or not name.strip() or not value.strip():
            raise InputError(f"{flag}: expected name=value pairs separated by commas, got {part!r}")
        if name.strip() in pairs:
            raise InputError(f"{flag}: {name.strip()!r} is given twice")
        pairs[name.strip()] = value.strip()
    return pairs


def build_retriever(
    index: str | os.PathLike[str] | None = None,
    *,
    hybrid: str | Mapping[str, str] | None = None,
    fusion: str = "rrf",
    rrf_k: float = DEFAULT_RRF_K,
    weights: str | Mapping[str, float] | None = None,
    normalization: str = "minmax",
    depth: int | str | Mapping[str, int] = DEFAULT_DEPTH,
    rerank: str | None = None,
    rerank_depth: int = DEFAULT_RERANK_DEPTH,
    mode: str = "exact",
    knobs: Mapping[str, Any] | None = None,
) -> Retriever:
    """A retriever over ``index``, or over the ``hybrid`` legs, optionally wrapped by a ``rerank`` model.

    ``hybrid``: ``"sparse=indexes/x,bm25=indexes/y,dense=indexes/z"`` (leg name = index folder; each
    folder opens with the retriever its manifest calls for). ``fusion`` (``"rrf"``/``"weighted"``),
    ``rrf_k``, ``weights`` (``"sparse=0.7,dense=0.3"``), ``normalization`` and ``depth`` (a number,
    or ``"sparse=200,dense=100"``) are `HybridRetriever`'s. ``mode``/``knobs`` apply to a single
    index, and to the sparse legs of a hybrid. ``rerank``: a cross-encoder
    (``*ForSequenceClassification``) or a dense/sparse bi-encoder, by alias, folder or hub id.
    """
    if (index is None) == (hybrid is None):
        raise InputError("give either an index or --hybrid legs, not both" if index is not None else "give an index or --hybrid legs")
    if index is not None:
        retriever = open_retriever(index, mode=mode, knobs=knobs)
    else:
        legs = parse_assignments(hybrid, "--hybrid")
        if not legs:
            raise InputError("--hybrid: name at least one leg, e.g. sparse=indexes/x,dense=indexes/y")
        leg_weights = parse_weights(weights)
        settings = {"method": fusion, "weights": leg_weights, "depth": parse_depth(depth), "rrf_k": rrf_k, "normalization": normalization}
        check_fusion(fusion, list(legs), leg_weights, normalization, rrf_k)  # before any index or model is loaded
        retriever = HybridRetriever({name: _open_leg(path, mode, knobs) for name, path in legs.items()}, **settings)
    return load_reranker(retriever, rerank, depth=rerank_depth) if rerank else retriever


def load_reranker(first_stage: Retriever, model: str, *, depth: int = DEFAULT_RERANK_DEPTH) -> Reranker:
    """A cross-encoder reranker when ``model`` is a ``*ForSequenceClassification`` folder, else a bi-encoder one
    (a sparse encoder for SPLADE/sparse folders, a dense one otherwise)."""
    from ..hub import resolve_model_path
    from ..model_folder import load_folder_config
    from ..modules.base import read_json
    from .rerank import BiEncoderReranker, CrossEncoderReranker

    path = resolve_model_path(model)
    config = path / "config.json"
    architectures = read_json(str(config)).get("architectures") or [] if config.is_file() else []
    if isinstance(architectures, list) and any(str(a).endswith("ForSequenceClassification") for a in architectures):
        return CrossEncoderReranker(first_stage, str(path), depth=depth)
    folder = load_folder_config(path)
    sparse = (folder is not None and folder.model_type == "SparseEncoder") or any(str(a).endswith("ForMaskedLM") for a in architectures)
    if sparse:
        from ..encoder import SparseEncoder

        return BiEncoderReranker(first_stage, SparseEncoder(model), depth=depth)
    from ..dense import DenseEncoder

    return BiEncoderReranker(first_stage, DenseEncoder(model), depth=depth)


def _open_leg(path: str, mode: str, knobs: Mapping[str, Any] | None) -> Retriever:
    if index_kind(path) == "dense":
        return open_retriever(path)
    return open_retriever(path, mode=mode, knobs=knobs)


def reranking(model: str, *, depth: int = DEFAULT_RERANK_DEPTH) -> Callable[[Retriever], Reranker]:
    """A function that wraps any first stage in a reranker with ``model`` (see `load_reranker`), loaded once, on first use."""
    loaded: list[Reranker] = []

    def wrap(first_stage: Retriever) -> Reranker:
        if not loaded:
            loaded.append(load_reranker(first_stage, model, depth=depth))
            return loaded[0]
        return loaded[0].over(first_stage)

    return wrap


def parse_weights(weights: str | Mapping[str, Any] | None) -> dict[str, float]:
    """``"a=0.7,b=0.3"`` (or a mapping) as ``{leg: weight}``; `InputError` naming ``--weights`` for a value that is not a number."""
    return {name: _number(value, "--weights") for name, value in parse_assignments(weights, "--weights").items()}


def parse_depth(depth: int | str | Mapping[str, int]) -> int | dict[str, int]:
    """``100`` or ``"sparse=200,dense=50"`` (or a mapping) as a number or ``{leg: number}``; `InputError` naming ``--depth``."""
    if isinstance(depth, int) and not isinstance(depth, bool):
        return depth
    if isinstance(depth, str) and depth.strip().isdigit():
        return int(depth)
    values = parse_assignments(depth, "--depth")
    bad = next((f"{name}={value}" for name, value in values.items() if not str(value).isdigit()), None)
    if bad:
        raise InputError(f"--depth: {bad!r} is not a whole number of hits")
    return {name: int(value) for name, value in values.items()}


def _number(value: Any, flag: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InputError(f"{flag}: {value!r} is not a number") from None
