"""Loading models for CLI verbs, quietly (no transformers load reports or weight bars)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import InputError

PACKAGE_DIR = str(Path(__file__).resolve().parent.parent)


def load_encoder(name_or_path: str, *, fast: bool = False, **kwargs: Any) -> Any:
    """A SparseEncoder for ``name_or_path`` with transformers' own chatter turned off.

    The package's own load warnings (ignored folder settings, an untrained autoencoder) become one
    ``warning:`` line each on stderr. ``fast``: project onto the vocabulary in bfloat16 (SPLADE models
    only; see `SpladePooling.projection_dtype`).
    """
    from ..encoder import SparseEncoder
    from ..modules import SpladePooling

    with quiet_loading():
        encoder = SparseEncoder(name_or_path, **kwargs)
    if fast:
        poolings = [m for m in encoder.modules() if isinstance(m, SpladePooling)]
        if not poolings:
            raise InputError(f"--fast speeds up SPLADE vocabulary projections; {name_or_path} has none")
        for pooling in poolings:
            pooling.projection_dtype = "bfloat16"
    return encoder


def load_dense(name_or_path: str) -> Any:
    """A DenseEncoder for ``name_or_path``, loaded as quietly as `load_encoder`."""
    from ..dense import DenseEncoder

    with quiet_loading():
        return DenseEncoder(name_or_path)


@contextmanager
def quiet_loading() -> Iterator[None]:
    """Load models inside the block without transformers' reports and bars; this package's warnings become one line each."""
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        yield
    _report(caught)


def _report(caught: list[warnings.WarningMessage]) -> None:
    """Print this package's UserWarnings as one line each; hand any other warning back to Python."""
    from rich.markup import escape

    from .console import err_console

    seen: set[str] = set()
    for w in caught:
        ours = issubclass(w.category, UserWarning) and str(Path(w.filename).resolve()).startswith(PACKAGE_DIR)
        if not ours:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
        elif str(w.message) not in seen:
            seen.add(str(w.message))
            err_console.print(f"[yellow]warning:[/] {escape(str(w.message))}", soft_wrap=True)


def load_index_encoder(index: Any, name_or_path: str | None = None, **kwargs: Any) -> Any:
    """The encoder to query ``index`` with: ``name_or_path`` if given, else the model the index records.

    A recorded model is checked against the fingerprint the index keeps (a changed model folder is
    refused instead of answering with other vectors).
    """
    from ..retrieval.model_record import check_recorded_model, recorded_model

    if name_or_path is not None:
        return load_encoder(name_or_path, **kwargs)
    encoder = load_encoder(recorded_model(index), **kwargs)
    check_recorded_model(index, encoder)
    return encoder


def open_sparse(
    index: Any, model: str | None = None, *, mode: str = "exact", knobs: Any = None, light: bool = False, **kwargs: Any
) -> tuple[Any, Any]:
    """``(encoder, retriever)`` for an opened sparse index: BM25 indexes search with BM25 (no encoder, no torch),
    others with the model they record (or ``model``); ``kwargs`` go to `load_encoder`.

    ``light``: encode queries with a light encoder when one reproduces the recorded model (`load_query_encoder`).
    """
    from ..bm25 import is_bm25_index
    from .options import refuse

    if is_bm25_index(index):
        from ..bm25 import BM25Retriever

        if model not in (None, "bm25"):
            refuse("--model", f"{index.path} is a BM25 index; it is searched with BM25, not with {model!r}")
        return None, BM25Retriever(index, mode=mode, knobs=knobs)
    from ..retrieval import SparseRetriever

    encoder = load_query_encoder(index, model, **kwargs) if light else load_index_encoder(index, model, **kwargs)
    return encoder, SparseRetriever(encoder, index, mode=mode, knobs=knobs)


def load_query_encoder(index: Any, name_or_path: str | None = None, **kwargs: Any) -> Any:
    """An encoder for ``index``'s queries: a light one when it reproduces the recorded model
    (`retrieval.model_record.load_light_model`: it starts without importing transformers, or torch), else
    `load_index_encoder`'s. ``--model``, remote code, ``fast`` and other backends load the model as usual.
    """
    plain = not kwargs.get("trust_remote_code") and not kwargs.get("fast") and kwargs.get("backend", "torch") == "torch"
    if name_or_path is None and plain:
        from ..retrieval.model_record import load_light_model

        light = load_light_model(index)
        if light is not None:
            return light
    return load_index_encoder(index, name_or_path, **kwargs)


def open_index(path: str | Path, *, mode: str = "exact", knobs: Any = None, **kwargs: Any) -> Any:
    """The retriever of any index folder with its recorded model: sparse, BM25 (both in ``mode`` with ``knobs``)
    or dense (exact search); ``kwargs`` go to `load_encoder`."""
    from ..indexes import SparseIndex
    from ..retrieval.opener import index_kind

    if index_kind(path) == "dense":
        from ..dense import DenseRetriever

        with quiet_loading():
            return DenseRetriever.open(path)
    return open_sparse(SparseIndex.open(path), mode=mode, knobs=knobs, **kwargs)[1]
