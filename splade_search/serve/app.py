"""The HTTP API and search page of a served retriever (FastAPI): ``/search``, ``/encode``, ``/health``, ``/stats``, ``/``.

The retriever (model and index) is loaded once, before the app is made. Each request pins one
snapshot of it (`live.LiveRetriever`), so it never mixes two index generations. Queries of
concurrent requests are searched together (`batching.QueryBatcher`). Errors are JSON naming the
field (`errors`). OpenAPI docs are at ``/docs``.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager
from importlib import resources
from typing import Annotated, Any, AsyncIterator

from fastapi import FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..indexes.knobs import parse_knobs
from ..retrieval.hits import Hit, Retriever, supports
from .batching import BatcherClosed, QueryBatcher
from .errors import BodyLimit, FieldError, install_error_handlers
from .live import LiveRetriever, Reopener, describe, generation, reopen_sparse
from .requests import MAX_K, MAX_QUERY_CHARS, EncodeRequest, SearchRequest
from .snippets import snippet
from .stats import ServerStats

STATIC = resources.files(__package__) / "static"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
ROUTES = {"/search", "/encode", "/health", "/stats", "/"}


def create_app(
    retriever: Retriever,
    *,
    max_batch: int = 32,
    batch_wait: float = 0.0,
    reopen: Reopener | None = reopen_sparse,
    check_every: float | None = 1.0,
    title: str = "splade-search",
) -> FastAPI:
    """A FastAPI app serving ``retriever``.

    ``max_batch``: queries searched together at most (1: no batching, each request searches on
    its own thread); ``batch_wait``: seconds to wait for more queries before searching a batch.
    ``reopen``/``check_every``: how and how often to look for a newer index generation (see
    `LiveRetriever`; ``check_every=None`` never reloads).
    """
    live = LiveRetriever(retriever, reopen, check_every)
    stats = ServerStats()
    state: dict[str, Any] = {"batcher": None}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if max_batch > 1:
            state["batcher"] = QueryBatcher(max_batch, batch_wait, on_batch=stats.record_batch)
        try:
            yield
        finally:
            batcher, state["batcher"] = state["batcher"], None
            if batcher is not None:
                await run_in_threadpool(batcher.close)

    app = FastAPI(
        title=title,
        summary="Search a learned sparse index over HTTP.",
        version=_version(),
        lifespan=lifespan,
    )
    app.state.live = live
    app.state.stats = stats
    install_error_handlers(app)
    app.add_middleware(BodyLimit)
    app.add_middleware(Measured, stats=stats)

    async def answer(body: SearchRequest) -> JSONResponse:
        target = live.pin()
        if body.mode is not None or body.knobs is not None:  # may build the mode's structures: off the event loop
            target = await run_in_threadpool(live.with_settings, target, body.mode, body.knobs)
        options = _keywords(target, body)
        start = time.perf_counter()
        batcher = state["batcher"]
        if batcher is not None:
            try:
                future = batcher.submit(target, body.q, body.k, options)
            except BatcherClosed:
                raise FieldError(None, "the server is shutting down", status=503) from None
            hits = await asyncio.wrap_future(future)
        else:
            hits = (await run_in_threadpool(target.search_batch, [body.q], body.k, **options))[0]
        return JSONResponse(  # built directly: FastAPI's response validation would cost more than the search
            {
                "query": body.q,
                "k": body.k,
                "mode": getattr(target, "mode", None),
                "generation": generation(target),
                "took_ms": round((time.perf_counter() - start) * 1000, 3),
                "hits": [_hit(hit) for hit in hits],
            }
        )

    @app.post("/search", summary="Search (JSON body)", response_model=None)
    async def search_post(body: SearchRequest) -> JSONResponse:
        """The top-``k`` hits for ``q``; ``explain`` adds the matching terms and a snippet around them."""
        return await answer(body)

    @app.get("/search", summary="Search (URL parameters)", response_model=None)
    async def search_get(
        request: Request,
        q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS, description="The query text.")],
        k: Annotated[int, Query(ge=1, le=MAX_K, description="Hits to return.")] = 10,
        explain: Annotated[bool, Query(description="Add the matching terms of each hit.")] = False,
        mode: Annotated[str | None, Query(description="Search mode: exact, pruned or approximate.")] = None,
        knob: Annotated[list[str] | None, Query(description="Search-mode option NAME=VALUE (repeatable).")] = None,
    ) -> JSONResponse:
        """The same as ``POST /search`` with the fields as URL parameters (``knob=budget=0.05`` for knobs)."""
        unknown = sorted(set(request.query_params) - {"q", "k", "explain", "mode", "knob"})
        if unknown:
            raise FieldError(unknown[0], "unknown parameter; this endpoint takes q, k, explain, mode and knob")
        try:
            knobs = parse_knobs(knob) if knob else None
        except ValueError as exc:
            raise FieldError("knob", str(exc)) from None
        fields: dict[str, Any] = {"q": q, "k": k, "mode": mode, "knobs": knobs}
        if "explain" in request.query_params:
            fields["explain"] = explain
        return await answer(SearchRequest(**fields))

    @app.post("/encode", summary="Encode texts into sparse vectors")
    def encode(body: EncodeRequest) -> dict[str, Any]:
        """Each text's non-zero weights as ``{token: weight}``, largest first, with the served model."""
        model = getattr(live.pin(), "model", None)
        if model is None or not hasattr(model, "decode"):
            raise FieldError(None, f"the served {live.current.name} retriever has no sparse encoder", status=501)
        encode_fn = model.encode_query if body.kind == "query" else model.encode_document
        vectors = encode_fn(body.texts, convert_to_sparse_tensor=True, save_to_cpu=True)
        decoded = model.decode(vectors, top_k=body.top)
        return {
            "kind": body.kind,
            "vectors": [{"nonzero": len(terms), "terms": {t: round(float(w), 6) for t, w in terms}} for terms in decoded],
        }

    @app.get("/health", summary="Liveness")
    async def health() -> dict[str, Any]:
        """``ok`` once the model and index are loaded (they are before the server listens)."""
        current = live.current
        return {"status": "ok", "retriever": current.name, "generation": generation(current)}

    @app.get("/stats", summary="Index, model, uptime, request counts and latency percentiles")
    async def server_stats() -> dict[str, Any]:
        """What is served and how it has done: latency percentiles in ms over the last 10,000 requests per route."""
        return {"retriever": describe(live.current), "reloads": live.reloads, **stats.snapshot()}

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page() -> HTMLResponse:
        return HTMLResponse((STATIC / "index.html").read_text(encoding="utf-8"))

    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    return app


class Measured:
    """ASGI middleware: counts each request's status and latency in `ServerStats` and adds `SECURITY_HEADERS`."""

    def __init__(self, app: ASGIApp, stats: ServerStats) -> None:
        self.app = app
        self.stats = stats

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, status = time.perf_counter(), 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            path = scope.get("path", "")
            self.stats.record(path if path in ROUTES else "other", status, time.perf_counter() - start)


def _keywords(retriever: Retriever, body: SearchRequest) -> dict[str, Any]:
    """``body``'s search options as keywords of ``retriever.search_batch``; 422 for one it does not take."""
    options = body.search_keywords()
    for name in options:
        if not supports(retriever, name):
            raise FieldError(name, f"the served {retriever.name} retriever does not support this option")
    return options


def _hit(hit: Hit) -> dict[str, Any]:
    data = hit.to_dict()
    if hit.terms:
        data["snippet"] = snippet(hit.text, hit.terms)
    return data


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("splade-search")
    except PackageNotFoundError:
        return "0"
