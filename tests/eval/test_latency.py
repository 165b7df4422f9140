"""Latency summaries on known numbers, and the warm-up rule of time_each."""

from __future__ import annotations

import pytest

from splade_search.errors import InputError
from splade_search.eval.latency import LatencyStats, throughput, time_each, torch_threads


def test_stats_on_known_numbers() -> None:
    stats = LatencyStats.from_seconds([0.004, 0.001, 0.003, 0.002])
    assert stats.count == 4
    assert stats.mean_ms == pytest.approx(2.5)
    assert stats.p50_ms == pytest.approx(2.5)
    assert stats.p95_ms == pytest.approx(3.85)  # linear interpolation between 3 and 4 ms
    assert stats.p99_ms == pytest.approx(3.97)
    assert stats.max_ms == pytest.approx(4.0)
    assert stats.qps == pytest.approx(400.0)
    assert stats.to_dict()["p99_ms"] == pytest.approx(3.97)


def test_one_hundred_samples() -> None:
    stats = LatencyStats.from_seconds([i / 1000 for i in range(1, 101)])
    assert stats.p50_ms == pytest.approx(50.5)
    assert stats.p99_ms == pytest.approx(99.01)


def test_empty_or_negative_timings_are_refused() -> None:
    with pytest.raises(InputError, match="no timings"):
        LatencyStats.from_seconds([])
    with pytest.raises(InputError, match="negative"):
        LatencyStats.from_seconds([0.1, -0.1])


def test_time_each_warms_up_then_times_every_item() -> None:
    calls = []
    durations = time_each(calls.append, ["a", "b", "c"], warmup=2)
    assert calls == ["a", "b", "a", "b", "c"]
    assert len(durations) == 3 and all(d >= 0 for d in durations)
    calls.clear()
    assert len(time_each(calls.append, ["a", "b", "c"], warmup=1, repeat_warmup=False)) == 2
    with pytest.raises(InputError):
        time_each(calls.append, ["a"], warmup=-1)


def test_throughput_and_thread_setting() -> None:
    import torch

    assert throughput(lambda: sum(range(1000)), 50) > 0
    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
