"""The ``eval`` comparison table, laid out for the terminal's width.

Columns are added by importance while the table still fits: quality first, then speed, sparsity
and size. Backend, mode and dataset get a column only when they differ between rows (else the
title names them). System names too long for the width become ``S1``, ``S2``... with a legend in
the caption. No cell is ever cut; ``--json`` has every number.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.table import Table

TITLE = "splade-search eval"
BORDER = 3
"""Characters a rich column adds around its cells (padding and a rule)."""


@dataclass(frozen=True)
class Column:
    """One metric column: its header, its cell and its rank (lower: shown first at narrow widths)."""

    header: str
    cell: Callable[[Any, int], str]
    rank: int


def _fmt(value: float | None, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


COLUMNS = [
    Column("nDCG@10", lambda r, k: _fmt(r.metrics.get("ndcg@10"), ".4f"), 0),
    Column("MRR@10", lambda r, k: _fmt(r.metrics.get("mrr@10"), ".4f"), 3),
    Column("R@100", lambda r, k: _fmt(r.metrics.get(f"recall@{min(k, 100)}"), ".4f"), 1),
    Column("vs exact@10", lambda r, k: _fmt(r.recall_vs_exact["@10"] if r.recall_vs_exact else None, ".4f"), 2),
    Column("q dims", lambda r, k: _fmt(r.sparsity["query_active_dims"], ".1f"), 6),
    Column("d dims", lambda r, k: _fmt(r.sparsity["corpus_active_dims"], ".1f"), 7),
    Column("FLOPs", lambda r, k: _fmt(r.sparsity["avg_flops"], ".2f"), 9),
    Column("size MB", lambda r, k: _fmt(r.index.bytes_on_disk / 1e6 if r.index else None, ".2f"), 8),
    Column("postings", lambda r, k: f"{r.index.postings:,}" if r.index else "n/a", 12),
    Column("docs/s", lambda r, k: _fmt(r.indexing["docs_per_second"] if r.indexing else None, ".1f"), 11),
    Column("q enc ms", lambda r, k: _fmt(r.query_encoding.p50_ms if r.query_encoding else None, ".2f"), 10),
    Column("p50 ms", lambda r, k: _fmt(r.search.p50_ms, ".3f"), 4),
    Column("p99 ms", lambda r, k: _fmt(r.search.p99_ms, ".3f"), 13),
    Column("QPS", lambda r, k: _fmt(r.search.qps, ",.0f"), 5),
    Column("batch QPS", lambda r, k: _fmt(r.batch_qps, ",.0f"), 14),
]


def eval_table(results: Sequence[Any], k: int, width: int) -> Table:
    """The comparison table of ``results`` (one row per system and dataset) for a terminal ``width`` columns wide."""
    inexact = [r for r in results if r.search_mode != "exact"]
    metrics = [c for c in COLUMNS if c.header != "vs exact@10" or inexact]
    labels = {"backend": [r.backend for r in results], "mode": [r.search_mode for r in results], "data": [r.dataset for r in results]}
    varying = {name: values for name, values in labels.items() if len(set(values)) > 1}
    shared = [values[0] for name, values in labels.items() if name not in varying and values]
    names = list(dict.fromkeys(r.system for r in results))
    short = {name: f"S{i}" for i, name in enumerate(names, 1)}
    cells = {c.header: [c.cell(r, k) for r in results] for c in metrics}
    fixed = sum(_width(name, values) for name, values in varying.items()) + 1
    legend = _width("system", names) + fixed + _width("nDCG@10", cells["nDCG@10"]) > width
    system_cells = [short[r.system] if legend else r.system for r in results]
    used = fixed + _width("system", system_cells)
    chosen = []
    for column in sorted(metrics, key=lambda c: c.rank):
        needed = _width(_header(column, k), cells[column.header])
        if not chosen or used + needed <= width:
            chosen.append(column)
            used += needed
    shown = [c for c in metrics if c in chosen]
    title = f"{TITLE} ({', '.join(dict.fromkeys(shared))})" if shared else TITLE
    table = Table("system", *varying, *(_header(c, k) for c in shown), title=title, caption_justify="left")
    for i in range(len(results)):
        row = [system_cells[i], *(values[i] for values in varying.values())]
        table.add_row(*row, *(cells[c.header][i] for c in shown))
    for column in table.columns:
        column.overflow = "fold"
    hidden = len(metrics) - len(shown)
    table.caption = "\n".join(_notes(results, inexact, short if legend else {}, hidden))
    return table


def _header(column: Column, k: int) -> str:
    return f"R@{k}" if column.header == "R@100" and k < 100 else column.header


def _width(header: str, values: Sequence[str]) -> int:
    return max([len(header), *(len(v) for v in values)]) + BORDER


def _notes(results: Sequence[Any], inexact: Sequence[Any], legend: dict[str, str], hidden: int) -> list[str]:
    """The caption: systems' legend, what latency means, what inexact modes found, data problems."""
    lines = [f"{label} = {name}" for name, label in legend.items()]
    lines.append("latency: per query after warm-up, 1 thread (q enc = query encoding p50; p50/p99/QPS = index search)")
    if any(r.query_encoding is None for r in results):
        lines.append("dense, hybrid and reranked systems (no q enc): p50/p99/QPS are end to end, query encoding included")
    for r in inexact:
        knobs = ", ".join(f"{name}={value}" for name, value in r.search_knobs.items())
        lines.append(f"vs exact@10: share of exact search's top-10 that {r.search_mode} search found" + (f" ({knobs})" if knobs else ""))
    for r in results:
        for key, what in (("judgements_unknown_query", "queries"), ("judgements_unknown_doc", "docs")):
            if r.data.get(key):
                lines.append(f"{r.dataset}: {r.data[key]} judgement(s) name unknown {what}")
    if hidden:
        lines.append(f"{hidden} more column(s) in a wider terminal or with --json")
    return list(dict.fromkeys(lines))
