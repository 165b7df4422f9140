"""Running a served retriever: load it from an index folder and hand the app to uvicorn."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..retrieval.hits import Retriever
from .app import create_app

GRACEFUL_SECONDS = 10


def load_retriever(index: str | Path, model: Any = None, *, mode: str = "exact", knobs: Mapping[str, Any] | None = None) -> Retriever:
    """The retriever to serve for the index folder ``index``: sparse, BM25 or dense, as its manifest says
    (`IndexFormatError` when it is not an index)."""
    from ..retrieval.opener import open_retriever

    return open_retriever(index, model=model, mode=mode, knobs=knobs)


def serve(
    retriever: Retriever,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    log_level: str = "info",
    access_log: bool = True,
    torch_threads: int | None = None,
    **app_options: Any,
) -> None:
    """Serve ``retriever`` over HTTP until SIGINT/SIGTERM, then finish requests in flight (up to `GRACEFUL_SECONDS`).

    ``access_log``: log one line per request. ``torch_threads``: torch's intra-op threads (default:
    torch's choice, one per core; 1 is much faster on a machine whose cores are busy with other work).
    ``app_options`` go to `create_app`.
    """
    import uvicorn

    if torch_threads is not None:
        import torch

        torch.set_num_threads(torch_threads)

    app = create_app(retriever, **app_options)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=access_log,
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
        timeout_keep_alive=5,
        server_header=False,
    )
    uvicorn.Server(config).run()
