"""``splade-search query``: search an index and explain each hit; a queries file can become a TREC run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from ..passages.snippet import DEFAULT_SNIPPET_CHARS
from .console import console, print_json, reported_warnings, user_errors
from .hits_view import HIT_FIELDS, hits_table, parse_fields, query_json, resnip, shortfall
from .options import (
    ENCODER_BACKENDS,
    about,
    check_choice,
    check_input_file,
    check_output_file,
    encoder_backend_option,
    refuse,
    top_k_option,
    trust_remote_code_option,
)
from .pipeline_options import (
    depth_option,
    fusion_option,
    hybrid_option,
    normalization_option,
    pipeline_settings,
    rerank_depth_option,
    rerank_option,
    rrf_k_option,
    weights_option,
)
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


def register(app: typer.Typer) -> None:
    """Add the ``query`` verb to ``app``."""

    @app.command()
    def query(
        texts: list[str] = typer.Argument(None, help="Query texts (or --queries FILE, not both)."),
        index: Path = typer.Option(None, "--index", "-i", help="Index folder (sparse, BM25 or dense); default: the newest under indexes/."),
        k: int = top_k_option(10, "Hits per query."),
        queries: Path = typer.Option(
            None, "--queries", help="File of queries (queries.jsonl, id<TAB>text, or one per line); hits are printed."
        ),
        run: Path = typer.Option(
            None, "--run", "--out", "-o", help="Write the hits of --queries to this TREC run file instead of printing them."
        ),
        model: str = typer.Option(None, "--model", "-m", help="Query model; default: the one the index records."),
        terms: int = typer.Option(3, min=0, help="Matching terms to show per hit."),
        mode: str = mode_option(),
        knob: list[str] = knob_option(),
        filters: list[str] = filter_option(),
        aggregate: str = aggregate_option(),
        passages: bool = typer.Option(False, "--passages", help="Return the best passages themselves, not documents."),
        snippet_chars: int = typer.Option(
            DEFAULT_SNIPPET_CHARS, "--snippet-chars", min=1, metavar="N", help="Characters of each hit's snippet."
        ),
        fields: str = typer.Option(
            None, "--fields", metavar="NAMES", help=f"--json: the hit fields to keep, e.g. id,score,title,snippet; of {', '.join(HIT_FIELDS)}."
        ),
        hybrid: str = hybrid_option(),
        fusion: str = fusion_option(),
        rrf_k: float = rrf_k_option(),
        weights: str = weights_option(),
        normalization: str = normalization_option(),
        depth: str = depth_option(),
        rerank: str = rerank_option(),
        rerank_depth: int = rerank_depth_option(),
        trust_remote_code: bool = trust_remote_code_option(),
        backend_encoder: str = encoder_backend_option(),
        json_output: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Search an index, or several fused (--hybrid), optionally reranked; each hit shows the terms that matched
        and their query x document weights, and which legs of a hybrid found it.

        Query texts or a --queries file print their hits; --run FILE writes those of a --queries file as a TREC run.
        """
        from ..retrieval.hits import supports
        from ..retrieval.locations import latest_index

        if texts and queries is not None:
            refuse("--queries", "give query texts or --queries FILE, not both")
        if not texts and queries is None:
            raise typer.BadParameter("give query texts or --queries FILE")
        if run is not None and queries is None:
            refuse("--run", "writes the hits of a --queries file; give --queries FILE (query texts print their hits)")
        if fields is not None and not json_output:
            refuse("--fields", "chooses what --json prints; add --json")
        try:
            kept = parse_fields(fields)
        except ValueError as exc:
            refuse("--fields", f"{exc}; choose from {', '.join(HIT_FIELDS)}")
        mode, knobs = search_settings(mode, knob)
        check_choice(backend_encoder, ENCODER_BACKENDS, "--backend-encoder", "encoder backend")
        chosen = parsed_filter(filters)
        aggregation, _ = parsed_aggregate(aggregate)
        pipeline = pipeline_settings(hybrid, fusion, rrf_k, weights, normalization, depth, rerank, rerank_depth)
        _check_pipeline(pipeline, index, model, chosen, aggregation, passages)
        check_input_file(queries, "--queries")
        check_output_file(run, "--run")
        with user_errors(run), reported_warnings():
            found = _read_queries(queries) if queries is not None else None
            if pipeline.legs:
                pipeline.check_legs(mode, knobs)
                encoder, retriever, where = None, pipeline.hybrid(mode, knobs), pipeline.label()
            else:
                path = index or latest_index()
                encoder, retriever = _open(path, model, mode, knobs, chosen, trust_remote_code, backend_encoder)
                where = " ".join([str(path), pipeline.label()]).strip()
            if encoder is None and (aggregation or passages):
                refuse("--aggregate" if aggregation else "--passages", "applies to sparse-encoder indexes, not to BM25 or dense ones")
            lexical = retriever.name in ("sparse", "bm25")  # a shortfall means no more documents share a term
            retriever = pipeline.reranked(retriever)
            if found is not None and run is not None:
                _run_file(retriever, found, run, k, json_output, chosen, aggregation, mode)
                return
            ids = list(found) if found is not None else [None] * len(texts)
            asked = list(found.values()) if found is not None else list(texts)
            options = {"explain": True, "filter": chosen, "aggregation": aggregation, "passages": passages}
            results = retriever.search(asked, k=k, **{name: value for name, value in options.items() if supports(retriever, name)})
            if snippet_chars != DEFAULT_SNIPPET_CHARS and encoder is not None:
                for hits in results:
                    resnip(hits, encoder.tokenizer, snippet_chars)
        notes = [shortfall(len(hits), k, mode, chosen is not None, lexical) for hits in results]
        if json_output:
            print_json([query_json(*row, k, note, kept, qid) for row, note, qid in zip(zip(asked, results), notes, ids)])
            return
        for text, hits, note, qid in zip(asked, results, notes, ids):
            title = f"{qid + ': ' if qid is not None else ''}{text!r} in {where}"
            console.print(hits_table(escape(title), hits, terms, note))


def _read_queries(path: Path) -> dict[str, str]:
    """The ``--queries`` file (its readers load only when one is given)."""
    from ..data.queries import read_query_file

    return read_query_file(path)


def _check_pipeline(pipeline: Any, index: Path | None, model: str | None, chosen: Any, aggregation: str | None, passages: bool) -> None:
    """Refuse options that a hybrid or a reranked search cannot take."""
    if pipeline.legs and index is not None:
        refuse("--hybrid", "give --index or --hybrid legs, not both")
    if pipeline.legs and model is not None:
        refuse("--model", "each --hybrid leg searches with the model its index records")
    for flag, given in (("--filter", chosen is not None), ("--aggregate", aggregation is not None), ("--passages", passages)):
        if given and pipeline.active:
            refuse(flag, f"applies to one sparse index searched on its own, not with {'--hybrid' if pipeline.legs else '--rerank'}")


def _open(path: Path, model: str | None, mode: str, knobs: dict, chosen: Any, trust: bool, backend: str) -> tuple[Any, Any]:
    """``(encoder, retriever)`` of one index folder: sparse or BM25 (mode, knobs and filter checked before a model
    loads), or dense (no encoder returned: its hits have no terms)."""
    from ..indexes import SparseIndex, check_search_settings
    from ..retrieval.opener import index_kind
    from .loading import open_index, open_sparse

    if index_kind(path) == "dense":
        sparse_only = {"--model": model is not None, "--mode / --knob": mode != "exact" or bool(knobs), "--filter": chosen is not None}
        for flag, given in sparse_only.items():
            if given:
                refuse(flag, f"{path} is a dense index, searched exactly with its recorded model; {flag} applies to sparse indexes")
        return None, open_index(path)
    opened = SparseIndex.open(path)
    with about("--mode / --knob"):
        check_search_settings(opened.backend, mode, knobs)
    check_filter_fields(opened, chosen)
    return open_sparse(opened, model, mode=mode, knobs=knobs, light=True, trust_remote_code=trust, backend=backend)


def _run_file(
    retriever: Any,
    found: dict[str, str],
    target: Path,
    k: int,
    json_output: bool,
    chosen: object,
    aggregation: str | None,
    mode: str,
) -> None:
    """Write the hits of the ``--queries`` file as a TREC run and say where they went (and how many queries came up short)."""
    from ..data import write_run

    options = {name: value for name, value in (("filter", chosen), ("aggregation", aggregation)) if value is not None}
    results = retriever.run(found, k=k, **options)
    write_run(target, results, tag="splade-search")
    short = sum(len(hits) < k for hits in results.values())
    if json_output:
        print_json({"queries": len(found), "run": str(target), "k": k, "short_queries": short})
        return
    console.print(f"wrote {sum(len(h) for h in results.values()):,} hits for {len(found):,} queries to {target}")
    if short:
        why = "approximate search found fewer" if mode == "approximate" else "fewer documents share a term with them"
        console.print(f"[yellow]note:[/] {short:,} of {len(found):,} queries got fewer than {k} hits ({why})")
