"""Micro-batching: concurrent queries are searched together, each answered with its own hits, one failure isolated."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from serve_helpers import Slow, running

from splade_search.serve import create_app
from splade_search.serve.batching import BatcherClosed, QueryBatcher


def test_concurrent_queries_share_batches_and_get_their_own_hits() -> None:
    retriever = Slow()
    sizes: list[int] = []
    batcher = QueryBatcher(max_batch=8, on_batch=sizes.append)
    futures = [batcher.submit(retriever, f"q{i} w{i}", 5) for i in range(20)]
    results = [f.result(10) for f in futures]
    batcher.close()
    assert [[h.id for h in hits] for hits in results] == [[f"q{i}", f"w{i}"] for i in range(20)]
    assert sum(sizes) == 20 and max(sizes) == 8 and len(retriever.batches) < 20


def test_different_k_or_options_are_searched_apart() -> None:
    retriever = Slow()
    batcher = QueryBatcher(max_batch=8, max_wait=0.05)
    futures = [batcher.submit(retriever, "a b c", k) for k in (1, 2, 1, 2)]
    assert [len(f.result(10)) for f in futures] == [1, 2, 1, 2]
    batcher.close()
    assert sorted(len(b) for b in retriever.batches) == [2, 2]


def test_one_failing_query_does_not_fail_its_batch() -> None:
    retriever = Slow(fail_on="boom")
    batcher = QueryBatcher(max_batch=8, max_wait=0.05)
    futures = [batcher.submit(retriever, q, 3) for q in ("fine one", "boom", "fine two")]
    assert [h.id for h in futures[0].result(10)] == ["fine", "one"]
    with pytest.raises(RuntimeError, match="secret"):
        futures[1].result(10)
    assert [h.id for h in futures[2].result(10)] == ["fine", "two"]
    batcher.close()


def test_close_answers_what_was_submitted_then_refuses() -> None:
    batcher = QueryBatcher(max_batch=2)
    futures = [batcher.submit(Slow(), f"q{i}", 1) for i in range(5)]
    batcher.close()
    assert [f.result(0)[0].id for f in futures] == [f"q{i}" for i in range(5)]
    with pytest.raises(BatcherClosed):
        batcher.submit(Slow(), "late", 1)


def test_the_server_batches_concurrent_requests() -> None:
    retriever = Slow(delay=0.05)
    app = create_app(retriever, max_batch=16)
    with running(app) as (url, _server), httpx.Client(base_url=url, timeout=20) as client:
        with ThreadPoolExecutor(12) as pool:
            bodies = list(pool.map(lambda i: client.get("/search", params={"q": f"x{i} y"}).json(), range(24)))
        stats = client.get("/stats").json()["batching"]
    assert [b["hits"][0]["id"] for b in bodies] == [f"x{i}" for i in range(24)]
    assert stats["queries"] == 24 and stats["largest_batch"] > 1
