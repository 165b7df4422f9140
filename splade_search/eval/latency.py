"""Timing helpers: warm-up, one call at a time, and latency summaries (mean, p50, p95, p99, QPS).

Percentiles use linear interpolation between the closest ranks (numpy's default). QPS is the
throughput of a single sequential caller: ``1 / mean latency``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

from ..errors import InputError

T = TypeVar("T")


@dataclass(frozen=True)
class LatencyStats:
    """Latency of ``count`` timed calls, in milliseconds, and the sequential throughput they imply."""

    count: int
    mean_ms: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    qps: float

    @classmethod
    def from_seconds(cls, samples: Sequence[float]) -> LatencyStats:
        """Summarize per-call durations given in seconds; raises :class:`InputError` when there are none."""
        import numpy as np

        if len(samples) == 0:
            raise InputError("no timings to summarize: time at least one call")
        values = np.asarray(samples, dtype=np.float64)
        if (values < 0).any():
            raise InputError("durations cannot be negative")
        mean = float(values.mean())
        p50, p95, p99 = (float(v) for v in np.percentile(values, [50, 95, 99]))
        return cls(
            count=len(values),
            mean_ms=mean * 1e3,
            p50_ms=p50 * 1e3,
            p95_ms=p95 * 1e3,
            p99_ms=p99 * 1e3,
            max_ms=float(values.max()) * 1e3,
            qps=1.0 / mean if mean > 0 else float("inf"),
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return asdict(self)


def time_each(
    fn: Callable[[T], Any], items: Sequence[T], *, warmup: int = 10, repeat_warmup: bool = True
) -> list[float]:
    """Call ``fn`` on each item in turn and return the seconds each call took.

    The first ``warmup`` items are called first, untimed (JIT, caches, lazy loading); with
    ``repeat_warmup`` they are timed again afterwards so every item gets a timing.
    """
    if warmup < 0:
        raise InputError(f"warmup must be >= 0, got {warmup}")
    for item in items[:warmup]:
        fn(item)
    timed = items if repeat_warmup else items[warmup:]
    durations = []
    for item in timed:
        start = time.perf_counter()
        fn(item)
        durations.append(time.perf_counter() - start)
    return durations


def throughput(fn: Callable[[], Any], count: int) -> float:
    """Items per second when one call of ``fn`` processes ``count`` items."""
    start = time.perf_counter()
    fn()
    seconds = time.perf_counter() - start
    return count / seconds if seconds > 0 else float("inf")


@contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Run the block with ``threads`` intra-op torch threads (unchanged when None or torch is absent)."""
    if threads is None:
        yield
        return
    try:
        import torch
    except ImportError:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
