"""What a running server reports about itself: request counts, errors and latency percentiles."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

WINDOW = 10_000
PERCENTILES = (50, 90, 99)


@dataclass
class _Route:
    requests: int = 0
    client_errors: int = 0
    server_errors: int = 0
    latencies: deque[float] = field(default_factory=lambda: deque(maxlen=WINDOW))


class ServerStats:
    """Counts and latencies per route since start (latency percentiles over the last `WINDOW` requests); thread-safe."""

    def __init__(self) -> None:
        self.started = time.time()
        self._clock = time.monotonic()
        self._lock = threading.Lock()
        self._routes: dict[str, _Route] = {}
        self._batches = 0
        self._batched_queries = 0
        self._largest_batch = 0

    def record(self, route: str, status: int, seconds: float) -> None:
        """Count one answered request of ``route`` with HTTP ``status`` that took ``seconds``."""
        with self._lock:
            entry = self._routes.setdefault(route, _Route())
            entry.requests += 1
            entry.client_errors += 400 <= status < 500
            entry.server_errors += status >= 500
            entry.latencies.append(seconds)

    def record_batch(self, size: int) -> None:
        """Count one batch of ``size`` queries searched together."""
        with self._lock:
            self._batches += 1
            self._batched_queries += size
            self._largest_batch = max(self._largest_batch, size)

    def uptime(self) -> float:
        """Seconds since start."""
        return time.monotonic() - self._clock

    def snapshot(self) -> dict[str, Any]:
        """Plain-JSON counts: uptime, per route requests/errors/latency percentiles (ms), batching."""
        with self._lock:
            routes = {name: (r.requests, r.client_errors, r.server_errors, list(r.latencies)) for name, r in self._routes.items()}
            batches, batched, largest = self._batches, self._batched_queries, self._largest_batch
        return {
            "uptime_s": round(self.uptime(), 3),
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.started)),
            "requests": {
                name: {"count": count, "client_errors": client, "server_errors": server, "latency_ms": latency_summary(seconds)}
                for name, (count, client, server, seconds) in sorted(routes.items())
            },
            "batching": {
                "batches": batches,
                "queries": batched,
                "mean_batch": round(batched / batches, 3) if batches else 0.0,
                "largest_batch": largest,
            },
        }


def latency_summary(seconds: list[float]) -> dict[str, float]:
    """p50/p90/p99/max/mean of ``seconds``, in milliseconds (empty when there are none)."""
    if not seconds:
        return {}
    ms = np.asarray(seconds, dtype=float) * 1000.0
    summary = {f"p{p}": round(float(np.percentile(ms, p)), 3) for p in PERCENTILES}
    summary.update(max=round(float(ms.max()), 3), mean=round(float(ms.mean()), 3))
    return summary
