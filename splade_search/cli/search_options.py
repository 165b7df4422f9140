"""The ``--mode``, ``--knob`` and ``--filter`` options that ``query`` and ``eval`` share."""

from __future__ import annotations

from typing import Any

import typer

MODE_HELP = (
    "Search mode: exact, pruned (same hits, less work) or approximate (faster, may miss hits); pruned: csr only; "
    "approximate: csr and seismic."
)
KNOB_HELP = (
    "Search-mode option NAME=VALUE (repeatable; VALUE: an int, a float or none), e.g. pruned: max_scored=0.2; "
    "approximate: budget=0.05, rerank=300, query_cut=20, list_cut=1000 (csr); query_cut=10, heap_factor=0.8 (seismic)."
)


def mode_option() -> Any:
    """The ``--mode`` option."""
    return typer.Option("exact", "--mode", help=MODE_HELP)


def knob_option() -> Any:
    """The repeatable ``--knob NAME=VALUE`` option."""
    return typer.Option(None, "--knob", metavar="NAME=VALUE", help=KNOB_HELP)


FILTER_HELP = (
    "Only documents whose metadata passes FIELD OP VALUE (repeatable, all must hold), e.g. 'year>=2020', "
    "source=manual, 'lang in en,de', 'tags!=draft'; OP: = != > >= < <= in, not in."
)


AGGREGATE_HELP = "How passages score a document: max (best passage), first, or sum-top-<m>; default: the index's."


def aggregate_option() -> Any:
    """The ``--aggregate`` option (indexes built with passages)."""
    return typer.Option(None, "--aggregate", metavar="max|first|sum-top-<m>", help=AGGREGATE_HELP)


def parsed_aggregate(value: str | None) -> tuple[str | None, int | None]:
    """``(aggregation, top_m)`` from ``--aggregate`` (``(None, None)`` when not given); `typer.BadParameter` when malformed."""
    from ..errors import InputError
    from ..passages.settings import parse_aggregate

    if value is None:
        return None, None
    try:
        return parse_aggregate(value)
    except InputError as exc:
        raise typer.BadParameter(str(exc), param_hint="--aggregate") from None


def filter_option() -> Any:
    """The repeatable ``--filter EXPRESSION`` option."""
    return typer.Option(None, "--filter", metavar="EXPRESSION", help=FILTER_HELP)


def parsed_filter(expressions: list[str] | None) -> Any:
    """The ``--filter`` expressions as one filter (``None`` without any); `typer.BadParameter` when malformed."""
    from ..errors import InputError
    from ..indexes.filters import parse_filter

    try:
        return parse_filter(list(expressions or []))
    except InputError as exc:
        raise typer.BadParameter(str(exc), param_hint="--filter") from None


def check_filter_fields(index: Any, parsed: Any) -> None:
    """Refuse a ``--filter`` the index cannot evaluate (unknown field, wrong type) before any model loads."""
    from ..errors import InputError

    if parsed is None:
        return
    try:
        index.filter_mask(parsed)
    except InputError as exc:
        raise typer.BadParameter(str(exc), param_hint="--filter") from None


def search_settings(mode: str, knobs: list[str] | None) -> tuple[str, dict[str, Any]]:
    """The ``--mode`` (checked by name) and the ``--knob`` values as keyword arguments; `typer.BadParameter` when malformed."""
    from ..indexes.base import SEARCH_MODES

    if mode not in SEARCH_MODES:
        raise typer.BadParameter(f"unknown search mode {mode!r}; choose one of {', '.join(SEARCH_MODES)}", param_hint="--mode")
    from ..errors import InputError
    from ..indexes.knobs import parse_knobs

    try:
        return mode, parse_knobs(list(knobs or []))
    except InputError as exc:
        raise typer.BadParameter(str(exc), param_hint="--knob") from None
