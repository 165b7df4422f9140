"""How ``query`` shows hits: a table that stays readable at 80 columns, or JSON trimmed to chosen fields."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.table import Table

HIT_FIELDS = ("rank", "id", "score", "title", "text", "terms", "snippet", "metadata", "passage", "legs")
"""The keys a hit can have in ``query --json`` (``metadata``, ``passage`` and ``legs`` only when present)."""


def parse_fields(value: str | None) -> tuple[str, ...] | None:
    """The hit fields named by ``--fields`` (``None``: all); `ValueError` naming an unknown one."""
    if value is None:
        return None
    fields = tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    unknown = [name for name in fields if name not in HIT_FIELDS]
    if unknown or not fields:
        raise ValueError(f"unknown field {unknown[0]!r}" if unknown else "name at least one field")
    return fields


def resnip(hits: list[Any], tokenizer: Any, chars: int) -> None:
    """Remake each hit's snippet at about ``chars`` characters around its strongest matches."""
    from ..passages.snippet import make_snippet

    for hit in hits:
        shown = hit.text[hit.passage[0] : hit.passage[1]] if hit.passage else hit.text
        hit.snippet = make_snippet(shown, tokenizer, hit.terms, size=chars) if shown else None


def shortfall(found: int, k: int, mode: str, filtered: bool, lexical: bool = True) -> str | None:
    """Why a query got fewer than ``k`` hits (``None`` when it got ``k``); ``lexical``: hits need a shared term
    (sparse and BM25 indexes; not dense ones or fusions)."""
    if found >= k:
        return None
    if not lexical:
        return f"{found} of {k} hits"
    if mode == "approximate":
        return f"approximate search found {found} of {k} hits; --mode exact finds every match"
    reason = "shares a term with this query" + (" and passes the filter" if filtered else "")
    return f"no document {reason}" if found == 0 else f"{found} of {k} hits: no other document {reason}"


def query_json(text: str, hits: list[Any], k: int, note: str | None, fields: tuple[str, ...] | None, qid: str | None) -> dict:
    """One query's JSON object: its id (from a queries file), text, ``k``, hits found, the note and the hits."""
    data: dict[str, Any] = {"id": qid} if qid is not None else {}
    data |= {"query": text, "k": k, "found": len(hits)}
    if note is not None:
        data["note"] = note
    data["hits"] = [_trimmed(hit.to_dict(), fields) for hit in hits]
    return data


def _trimmed(hit: dict, fields: tuple[str, ...] | None) -> dict:
    return hit if fields is None else {name: hit[name] for name in fields if name in hit}


def hits_table(title: str, hits: list[Any], terms: int, note: str | None) -> Table:
    """The hits of one query as a table: the id is never cut, the document and reasons columns share the rest;
    fused or reranked hits add the rank and score each leg (or the first stage) gave them."""
    table = Table(title=title, caption=note, expand=True)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("id", no_wrap=True, overflow="fold")
    table.add_column("score", justify="right", no_wrap=True)
    table.add_column("document", ratio=3, overflow="fold")
    table.add_column("why (query x doc = part)", ratio=2, overflow="fold")
    fused = any(hit.legs for hit in hits)
    if fused:
        table.add_column("found by (rank, score)", no_wrap=True)
    for hit in hits:
        why = "\n".join(f"{t.token} {t.query_weight:.2f}x{t.doc_weight:.2f}={t.contribution:.2f}" for t in hit.terms[:terms])
        legs = "\n".join(f"{name} #{leg.rank} ({leg.score:.3f})" for name, leg in hit.legs.items())
        table.add_row(str(hit.rank), escape(hit.id), f"{hit.score:.3f}", _document(hit), escape(why), *([escape(legs)] if fused else []))
    return table


def _document(hit: Any) -> str:
    """The hit's title and its marked snippet (strongest query terms in bold), as rich markup."""
    from ..passages.snippet import render_rich

    title = f"[bold]{escape(hit.title)}[/] — " if hit.title else ""
    if hit.snippet is not None:
        return title + render_rich(hit.snippet, style="bold cyan")
    return title + escape(hit.text)
