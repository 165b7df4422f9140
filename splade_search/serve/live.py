"""The retriever a server answers with, kept up to date with the index on disk, one snapshot per request.

A writer publishes a new index generation by replacing the index's ``CURRENT`` pointer (see
`indexes.generations`). Every request takes the retriever of the moment once (`LiveRetriever.pin`)
and uses only it, so it sees exactly one generation; at most every ``check_every`` seconds a request
also reads ``CURRENT`` (one small file) and, when it names a newer generation, a background thread
opens it and swaps it in for later requests. Requests in flight keep their snapshot: its files stay
open (memory-mapped) even after the writer deletes the old generation folder.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import SpladeSearchError
from ..indexes import check_search_settings
from ..indexes.generations import current_folder
from ..retrieval.hits import Retriever
from ..retrieval.hybrid import HybridRetriever
from ..retrieval.rerank import Reranker
from ..retrieval.retriever import SparseRetriever
from .errors import FieldError

log = logging.getLogger(__name__)

Reopener = Callable[[Retriever], "Retriever | None"]
MAX_VARIANTS = 8


def reopen_sparse(retriever: Retriever) -> Retriever | None:
    """A `SparseRetriever` on the index's newer live generation with the same model and settings, or ``None``."""
    if not isinstance(retriever, SparseRetriever):
        return None
    index = retriever.index
    if current_folder(index.path) == index.folder:
        return None
    return SparseRetriever(retriever.model, type(index).open(index.path), mode=retriever.mode, knobs=retriever.knobs)


def generation(retriever: Retriever) -> str | None:
    """The name of the index generation ``retriever`` searches (``None`` when it has no such index)."""
    folder = getattr(getattr(retriever, "index", None), "folder", None)
    return getattr(folder, "name", None)


def describe(retriever: Retriever) -> dict[str, Any]:
    """Plain-JSON facts about ``retriever``: its name, class, model, search mode and index statistics;
    a hybrid's fusion settings and legs, a reranker's depth and first stage."""
    info: dict[str, Any] = {"name": retriever.name, "class": type(retriever).__name__}
    if isinstance(retriever, HybridRetriever):
        info["fusion"] = {**retriever.describe(), "legs": {name: describe(leg) for name, leg in retriever.legs.items()}}
    if isinstance(retriever, Reranker):
        info["rerank"] = {"depth": retriever.depth, "first_stage": describe(retriever.first_stage)}
    model = getattr(retriever, "model", None)
    if model is not None:
        info["model"] = str(getattr(model, "model_name_or_path", None) or type(model).__name__)
    for setting in ("mode", "knobs"):
        if hasattr(retriever, setting):
            info[setting] = getattr(retriever, setting)
    index = getattr(retriever, "index", None)
    if index is not None and hasattr(index, "stats"):
        info["index"] = {"path": str(index.path), "generation": generation(retriever), **index.stats().to_dict()}
    return info


class LiveRetriever:
    """Hands out the current retriever; swaps in a newer index generation found by ``reopen`` (in the background).

    ``reopen(retriever)`` returns a retriever on newer data or ``None`` (default: `reopen_sparse`);
    ``check_every``: seconds between checks (``None``: never reload).
    """

    def __init__(self, retriever: Retriever, reopen: Reopener | None = reopen_sparse, check_every: float | None = 1.0) -> None:
        self._current = retriever
        self._reopen = reopen if check_every is not None else None
        self._check_every = check_every or 0.0
        self._checked = time.monotonic()
        self._lock = threading.Lock()
        self._reloading = False
        self._variants: OrderedDict[tuple[int, str, tuple[tuple[str, Any], ...]], Retriever] = OrderedDict()
        self.reloads = 0

    @property
    def current(self) -> Retriever:
        """The retriever new requests get now."""
        return self._current

    def pin(self) -> Retriever:
        """The retriever for one request (use only it for the whole request); may start a background reload."""
        retriever = self._current
        if self._reopen is not None and time.monotonic() - self._checked >= self._check_every:
            self._start_reload()
        return retriever

    def reload(self) -> bool:
        """Check for newer data now and swap it in (in this thread); whether it swapped."""
        try:
            fresh = self._reopen(self._current) if self._reopen is not None else None
        except (SpladeSearchError, OSError) as exc:
            log.warning("keeping index generation %s: the newer one cannot be opened (%s)", generation(self._current), exc)
            return False
        finally:
            self._checked = time.monotonic()
        if fresh is None:
            return False
        with self._lock:
            old, self._current = self._current, fresh
            self._variants.clear()
            self.reloads += 1
        log.info("now serving index generation %s (was %s)", generation(fresh), generation(old))
        return True

    def with_settings(self, retriever: Retriever, mode: str | None, knobs: Mapping[str, Any] | None) -> Retriever:
        """``retriever`` searching in ``mode`` with ``knobs`` (cached per snapshot); `FieldError` if it cannot."""
        if mode is None and knobs is None:
            return retriever
        if not isinstance(retriever, SparseRetriever):
            field = "mode" if mode is not None else "knobs"
            raise FieldError(field, f"the served {retriever.name} retriever has one fixed way of searching")
        mode = retriever.mode if mode is None else mode
        knobs = dict(knobs or {})
        if mode == retriever.mode and knobs == retriever.knobs:
            return retriever
        backend = retriever.index.backend
        for field, settings in (("mode", None), ("knobs", knobs)):
            try:
                check_search_settings(backend, mode, settings)
            except SpladeSearchError as exc:
                raise FieldError(field, str(exc)) from None
        key = (id(retriever), mode, tuple(sorted(knobs.items())))
        with self._lock:
            cached = self._variants.get(key)
            if cached is not None:
                self._variants.move_to_end(key)
                return cached
        variant = SparseRetriever(retriever.model, retriever.index, mode=mode, knobs=knobs)
        with self._lock:
            if retriever is self._current:
                self._variants[key] = variant
                while len(self._variants) > MAX_VARIANTS:
                    self._variants.popitem(last=False)
        return variant

    def _start_reload(self) -> None:
        with self._lock:
            if self._reloading:
                return
            self._reloading = True
            self._checked = time.monotonic()

        def run() -> None:
            try:
                self.reload()
            finally:
                with self._lock:
                    self._reloading = False

        threading.Thread(target=run, name="index-reload", daemon=True).start()
