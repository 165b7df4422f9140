"""``splade-search serve``: serve an index over HTTP (API and search page) until interrupted."""

from __future__ import annotations

from pathlib import Path

import typer

from .console import err_console, user_errors
from .search_options import knob_option, mode_option, search_settings


def register(app: typer.Typer) -> None:
    """Add the ``serve`` verb to ``app``."""

    @app.command()
    def serve(
        index: Path = typer.Argument(..., help="Index folder to serve."),
        host: str = typer.Option("127.0.0.1", help="Address to listen on (0.0.0.0: every interface)."),
        port: int = typer.Option(8000, help="Port to listen on."),
        model: str = typer.Option(None, "--model", "-m", help="Query model; default: the one the index records."),
        mode: str = mode_option(),
        knob: list[str] = knob_option(),
        max_batch: int = typer.Option(32, min=1, help="Queries of concurrent requests searched together at most (1: no batching)."),
        batch_wait_ms: float = typer.Option(0.0, min=0.0, help="Milliseconds to wait for more queries before searching a batch."),
        reload: bool = typer.Option(True, help="Serve a newer index generation once one is published (checked every second)."),
        log_level: str = typer.Option("info", help="uvicorn log level (critical, error, warning, info, debug)."),
        access_log: bool = typer.Option(True, help="Log one line per request."),
        threads: int = typer.Option(None, min=1, help="torch threads for query encoding; default: one per core."),
    ) -> None:
        """Serve INDEX: POST/GET /search, POST /encode, /health, /stats, a search page at / and API docs at /docs."""
        mode, knobs = search_settings(mode, knob)
        with user_errors():
            try:
                from ..serve import load_retriever, serve as run
            except ImportError as exc:
                raise typer.BadParameter(f"serving needs the serve extra: pip install 'splade-search[serve]' ({exc})") from None
            retriever = load_retriever(index, model, mode=mode, knobs=knobs)
            err_console.print(f"serving {index} on http://{host}:{port}/ (API docs: /docs); Ctrl+C stops")
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
