"""``splade-search serve``: serve an index, or a hybrid of indexes, over HTTP (API and search page) until interrupted."""

from __future__ import annotations

from pathlib import Path

import typer

from .console import err_console, user_errors
from .options import refuse
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
from .search_options import knob_option, mode_option, search_settings


def register(app: typer.Typer) -> None:
    """Add the ``serve`` verb to ``app``."""

    @app.command()
    def serve(
        index: Path = typer.Argument(None, help="Index folder to serve (or --hybrid legs)."),
        host: str = typer.Option("127.0.0.1", help="Address to listen on (0.0.0.0: every interface)."),
        port: int = typer.Option(8000, help="Port to listen on."),
        model: str = typer.Option(None, "--model", "-m", help="Query model; default: the one the index records."),
        mode: str = mode_option(),
        knob: list[str] = knob_option(),
        hybrid: str = hybrid_option(),
        fusion: str = fusion_option(),
        rrf_k: float = rrf_k_option(),
        weights: str = weights_option(),
        normalization: str = normalization_option(),
        depth: str = depth_option(),
        rerank: str = rerank_option(),
        rerank_depth: int = rerank_depth_option(),
        max_batch: int = typer.Option(32, min=1, help="Queries of concurrent requests searched together at most (1: no batching)."),
        batch_wait_ms: float = typer.Option(0.0, min=0.0, help="Milliseconds to wait for more queries before searching a batch."),
        reload: bool = typer.Option(
            True, help="Serve a newer index generation once one is published (checked every second; one sparse index only)."
        ),
        log_level: str = typer.Option("info", help="uvicorn log level (critical, error, warning, info, debug)."),
        access_log: bool = typer.Option(True, help="Log one line per request."),
        threads: int = typer.Option(None, min=1, help="torch threads for query encoding; default: one per core."),
    ) -> None:
        """Serve INDEX (or a --hybrid of indexes, optionally --rerank-ed): POST/GET /search, POST /encode, /health, /stats,
        a search page at / and API docs at /docs."""
        mode, knobs = search_settings(mode, knob)
        pipeline = pipeline_settings(hybrid, fusion, rrf_k, weights, normalization, depth, rerank, rerank_depth)
        if (index is None) == (not pipeline.legs):
            refuse("--hybrid", "give INDEX or --hybrid legs, not both" if index is not None else "give INDEX or --hybrid legs")
        if pipeline.legs and model is not None:
            refuse("--model", "each --hybrid leg searches with the model its index records")
        with user_errors():
            try:
                from ..serve import load_retriever, serve as run
            except ImportError as exc:
                raise typer.BadParameter(f"serving needs the serve extra: pip install 'splade-search[serve]' ({exc})") from None
            if pipeline.legs:
                pipeline.check_legs(mode, knobs)
                retriever = pipeline.hybrid(mode, knobs)
            else:
                retriever = load_retriever(index, model, mode=mode, knobs=knobs)
            retriever = pipeline.reranked(retriever)
            where = " ".join([str(index), pipeline.label()]).strip() if index is not None else pipeline.label()
            err_console.print(f"serving {where} on http://{host}:{port}/ (API docs: /docs); Ctrl+C stops")
            run(
                retriever,
                host=host,
                port=port,
                log_level=log_level,
                access_log=access_log,
                torch_threads=threads,
                max_batch=max_batch,
                batch_wait=batch_wait_ms / 1000.0,
                check_every=1.0 if reload else None,
            )
