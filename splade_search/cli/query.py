"""``splade-search query``: search an index and explain each hit; many queries write a TREC run."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from ..data.queries import read_query_file
from .console import console, print_json, user_errors
from .options import K_RANGE, about, check_input_file, check_output_file, trust_remote_code_option
from .search_options import (
    aggregate_option,
    check_filter_fields,
    filter_option,
    knob_option,
    mode_option,
    parsed_aggregate,
    parsed_filter,
    search_settings,
)

SNIPPET = 90


def _snippet(hit: object) -> str:
    """The hit's title and its marked snippet (the matching passage, strongest query terms in bold), as rich markup."""
    from rich.markup import escape

    from ..passages.snippet import render_rich

    title = f"[bold]{escape(hit.title)}[/] — " if hit.title else ""
    if hit.snippet is not None:
        return title + render_rich(hit.snippet, style="bold cyan")
    text = hit.text if len(hit.text) <= SNIPPET else hit.text[: SNIPPET - 1] + "…"
    return title + escape(text)


def register(app: typer.Typer) -> None:
    """Add the ``query`` verb to ``app``."""

    @app.command()
    def query(
        texts: list[str] = typer.Argument(None, help="Query texts."),
        index: Path = typer.Option(None, "--index", "-i", help="Index folder [default: the newest under indexes/]."),
        k: int = typer.Option(10, "-k", **K_RANGE, help="Hits per query."),
        queries: Path = typer.Option(None, "--queries", help="File of queries (queries.jsonl, id<TAB>text, or one per line)."),
        run: Path = typer.Option(None, "--run", help="TREC run file to write [default with --queries: <queries>.run]."),
        model: str = typer.Option(None, "--model", "-m", help="Query model [default: the one the index records]."),
        terms: int = typer.Option(3, min=0, help="Matching terms to show per hit."),
        mode: str = mode_option(),
        knob: list[str] = knob_option(),
        filters: list[str] = filter_option(),
        aggregate: str = aggregate_option(),
        passages: bool = typer.Option(False, "--passages", help="Return the best passages themselves, not documents."),
        trust_remote_code: bool = trust_remote_code_option(),
        json_output: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Search an index; each hit shows the terms that matched and their query x document weights."""
        from ..indexes import SparseIndex, check_search_settings
        from ..retrieval import SparseRetriever
        from ..retrieval.locations import latest_index
        from .loading import load_index_encoder

        if not texts and queries is None:
            raise typer.BadParameter("give query texts or --queries FILE")
        mode, knobs = search_settings(mode, knob)
        chosen = parsed_filter(filters)
        aggregation, _ = parsed_aggregate(aggregate)
        check_input_file(queries, "--queries")
        target = run or (queries.with_suffix(".run") if queries else None)
        check_output_file(target, "--run")
        with user_errors(target):
            found = read_query_file(queries) if queries is not None else None
            path = index or latest_index()
            opened = SparseIndex.open(path)
            with about("--mode / --knob"):
                check_search_settings(opened.backend, mode, knobs)
            check_filter_fields(opened, chosen)
            encoder = load_index_encoder(opened, model, trust_remote_code=trust_remote_code)
            retriever = SparseRetriever(encoder, opened, mode=mode, knobs=knobs)
            if found is not None:
                _run_file(retriever, found, target, k, json_output, chosen, aggregation)
                return
            results = retriever.search(
                list(texts), k=k, explain=True, filter=chosen, aggregation=aggregation, passages=passages
            )
        if json_output:
            print_json([{"query": q, "hits": [h.to_dict() for h in hits]} for q, hits in zip(texts, results)])
            return
        for text, hits in zip(texts, results):
            table = Table("#", "id", "score", "document", "why (query x doc = contribution)", title=f"{text!r} in {path}")
            for hit in hits:
                why = ", ".join(f"{t.token} {t.query_weight:.2f}x{t.doc_weight:.2f}={t.contribution:.2f}" for t in hit.terms[:terms])
                table.add_row(str(hit.rank), hit.id, f"{hit.score:.3f}", _snippet(hit), why)
            if not hits:
                table.caption = "no document shares a term with this query"
            console.print(table)


def _run_file(
    retriever, found: dict[str, str], target: Path, k: int, json_output: bool, chosen: object, aggregation: str | None
) -> None:
    from ..data import write_run

    results = retriever.run(found, k=k, filter=chosen, aggregation=aggregation)
    write_run(target, results, tag="splade-search")
    if json_output:
        print_json({"queries": len(found), "run": str(target), "k": k})
    else:
        console.print(f"wrote {sum(len(h) for h in results.values()):,} hits for {len(found):,} queries to {target}")
