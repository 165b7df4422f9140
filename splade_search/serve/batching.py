"""Micro-batching: queries that arrive together are searched in one ``search_batch`` call.

A transformer encodes 16 queries in one forward pass much faster than in 16 passes, so under
concurrent load one worker thread takes every query waiting in the queue (and those arriving within
``max_wait`` seconds of the first) and searches them together, grouped by retriever and settings.
Under a single client the queue holds one query and it is searched at once.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from ..retrieval.hits import Hit, Retriever

log = logging.getLogger(__name__)


@dataclass
class _Query:
    retriever: Retriever
    text: str
    k: int
    options: dict[str, Any]
    future: Future = field(default_factory=Future)

    def key(self) -> tuple[int, int, tuple[tuple[str, Any], ...]]:
        return id(self.retriever), self.k, tuple(sorted(self.options.items()))


_STOP = object()


class BatcherClosed(RuntimeError):
    """The batcher takes no more queries (the server is shutting down)."""


class QueryBatcher:
    """Searches submitted queries on one worker thread, up to ``max_batch`` at a time.

    ``max_wait``: seconds to wait for more queries after the first of a batch arrives (0: take
    only those already waiting). ``on_batch(size)`` is called after each batch (for statistics).
    """

    def __init__(self, max_batch: int = 32, max_wait: float = 0.0, on_batch: Callable[[int], None] | None = None) -> None:
        if max_batch < 1 or max_wait < 0:
            raise ValueError(f"max_batch must be >= 1 and max_wait >= 0, got {max_batch} and {max_wait}")
        self.max_batch = max_batch
        self.max_wait = max_wait
        self._on_batch = on_batch
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._closed = False
        self._lock = threading.Lock()
        self._worker = threading.Thread(target=self._run, name="query-batcher", daemon=True)
        self._worker.start()

    def submit(self, retriever: Retriever, text: str, k: int, options: dict[str, Any] | None = None) -> Future:
        """A future of ``retriever``'s top-``k`` hits for ``text`` (``options``: keywords of ``search_batch``)."""
        item = _Query(retriever, text, k, dict(options or {}))
        with self._lock:
            if self._closed:
                raise BatcherClosed("the server is shutting down")
            self._queue.put(item)
        return item.future

    def close(self, timeout: float | None = None) -> None:
        """Answer every query submitted so far, then stop the worker."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(_STOP)
        self._worker.join(timeout)

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is _STOP:
                return
            batch, stopping = self._collect(first)
            self._search(batch)

    def _collect(self, first: _Query) -> tuple[list[_Query], bool]:
        batch, deadline = [first], time.monotonic() + self.max_wait
        while len(batch) < self.max_batch:
            wait = deadline - time.monotonic()
            try:
                item = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            if item is _STOP:
                return batch, True
            batch.append(item)
        return batch, False

    def _search(self, batch: list[_Query]) -> None:
        groups: dict[Any, list[_Query]] = {}
        for item in batch:
            if item.future.set_running_or_notify_cancel():
                groups.setdefault(item.key(), []).append(item)
        for items in groups.values():
            self._search_group(items)
        if self._on_batch is not None:
            self._on_batch(len(batch))

    def _search_group(self, items: list[_Query]) -> None:
        first = items[0]
        try:
            results = _search(first.retriever, [i.text for i in items], first.k, first.options)
        except Exception as exc:  # one bad query must not fail the others: retry them one by one
            if len(items) == 1:
                first.future.set_exception(exc)
                return
            for item in items:
                self._search_group([item])
            return
        for item, hits in zip(items, results, strict=True):
            item.future.set_result(hits)


def _search(retriever: Retriever, texts: list[str], k: int, options: dict[str, Any]) -> list[list[Hit]]:
    results = retriever.search_batch(texts, k, **options)
    if len(results) != len(texts):
        raise RuntimeError(f"{type(retriever).__name__}.search_batch returned {len(results)} results for {len(texts)} queries")
    return results
