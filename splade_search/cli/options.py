"""Checks of option values beyond typer's own ``min=``/``max=``, shared by the verbs; each names the flag it refuses.

Every check runs before a model loads or a corpus is encoded, except `check_max_length`, which needs the
loaded model (and runs before anything is encoded).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import typer

from ..errors import InputError

MAX_K = 2**31 - 2
"""The most hits a search may ask for: Lucene counts in 32-bit integers and is asked for one hit more."""

K_RANGE = {"min": 1, "max": MAX_K}
"""typer bounds of every ``-k`` / ``--top-k`` option."""


def top_k_option(default: int, help: str) -> Any:
    """``-k`` / ``--top-k``: how many results a verb returns (1 to `MAX_K`)."""
    return typer.Option(default, "--top-k", "-k", min=1, callback=_at_most_max_k, help=help)


def _at_most_max_k(value: int | None) -> int | None:
    if value is not None and value > MAX_K:
        raise typer.BadParameter(f"{value} is more than the {MAX_K:,} results a search can return")
    return value


ENCODER_BACKENDS = ("torch", "onnx", "openvino")


def bm25_impl_option() -> Any:
    """``--bm25-impl``: which BM25 builds and searches (``bm25.indexing``)."""
    return typer.Option("auto", "--bm25-impl", help="With --model bm25: lucene (Anserini), inprocess (no Java) or auto.")


def encoder_backend_option() -> Any:
    """``--backend-encoder``: what runs the model's transformer (`splade_search.backends`)."""
    return typer.Option(
        "torch",
        "--backend-encoder",
        help="Run the model's transformer with torch, onnx (ONNX Runtime; exported once, cached) or openvino.",
    )


def trust_remote_code_option() -> Any:
    """``--trust-remote-code``: the only way to let a model's own Python code run (a model folder never can)."""
    return typer.Option(
        False,
        "--trust-remote-code",
        help="Run Python code shipped with the model (only for models you trust; folders cannot switch this on).",
    )


def refuse(flag: str, message: str) -> NoReturn:
    """Stop with a usage error about ``flag`` (one line, exit code 2)."""
    raise typer.BadParameter(message, param_hint=flag)


@contextmanager
def about(flag: str) -> Iterator[None]:
    """Report an `InputError` raised inside as a usage error about ``flag``."""
    try:
        yield
    except InputError as exc:
        refuse(flag, str(exc))


def check_choice(value: str, choices: Collection[str], flag: str, what: str = "value") -> str:
    """``value`` if it is one of ``choices`` (``what`` says what it names, for the message)."""
    if value not in choices:
        refuse(flag, f"unknown {what} {value!r}; choose one of {', '.join(choices)}")
    return value


def check_finite(value: float | None, flag: str) -> None:
    """Refuse NaN and infinite numbers."""
    if value is not None and not math.isfinite(value):
        refuse(flag, f"{value} is not a finite number")


def check_backend(backend: str, mode: str = "exact", knobs: Mapping[str, Any] | None = None, flag: str = "--backend") -> None:
    """``backend`` names an index backend that offers search ``mode`` with ``knobs``."""
    from ..indexes import check_search_settings
    from ..indexes.base import BACKENDS

    check_choice(backend, BACKENDS, flag, "backend")
    with about("--mode / --knob"):
        check_search_settings(backend, mode, knobs)


def check_input_file(path: Path | None, flag: str) -> None:
    """``path`` (when given) is an existing file, not a folder."""
    if path is None:
        return
    if not path.exists():
        refuse(flag, f"{path}: no such file")
    if not path.is_file():
        refuse(flag, f"{path} is a folder, not a file" if path.is_dir() else f"{path} is not a regular file")


def check_output_file(path: Path | None, flag: str) -> None:
    """``path`` (when given) can become a file: it is not a folder and no file stands where its folder would go."""
    if path is None:
        return
    if path.is_dir():
        refuse(flag, f"{path} is a folder; give a file name")
    _check_parents(path, flag)


def check_output_folder(path: Path | None, flag: str) -> None:
    """``path`` (when given) can become a folder (an index): no file stands there or where its parents would go."""
    if path is None:
        return
    for place in (path, path.with_name(path.name + ".partial")):
        if place.exists() and not place.is_dir():
            refuse(flag, f"{place} exists and is not a folder; choose another path")
    _check_parents(path, flag)


def _check_parents(path: Path, flag: str) -> None:
    parent = path.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        refuse(flag, f"{parent} is a file, so {path} cannot be created")


def model_length_limit(model: Any) -> int | None:
    """The most tokens a model's transformers accept (position embeddings, tokenizer limit); None if unbounded.

    ``model``: a SparseEncoder or a transformers model (any torch module).
    """
    limits = []
    for module in model.modules():
        config = getattr(getattr(module, "auto_model", module), "config", None)
        if not hasattr(config, "max_position_embeddings"):
            continue
        limits.append(config.max_position_embeddings)
        limits.append(getattr(getattr(module, "tokenizer", None), "model_max_length", None))
    sane = [int(n) for n in limits if isinstance(n, int) and 0 < n < 1_000_000]
    return min(sane) if sane else None


def check_max_length(model: Any, value: int | None, flag: str = "--max-length") -> None:
    """``value`` (when given) is no more tokens than the loaded ``model`` accepts (see `model_length_limit`)."""
    limit = model_length_limit(model) if value is not None else None
    if limit is not None and value is not None and value > limit:
        refuse(flag, f"{value} is more tokens than the model accepts ({limit})")


def count_corpus(source: str, **read_options: Any) -> int:
    """Read a local corpus through once (ids, fields, duplicates, encodings and metadata types checked) and
    count its documents.

    This finds a bad record, or a metadata field with values of two types, before any document is
    encoded; the reader's warnings (skipped records) are left to the reading that encodes.
    """
    from ..data import DataWarning, read_corpus
    from ..indexes.fields import FieldColumns, flatten

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        ids, records = [], []
        for document in read_corpus(source, **read_options):
            ids.append(document.id)
            records.append(flatten(document.metadata))
    if any(records):
        FieldColumns.from_records(records, ids)
    return len(ids)
