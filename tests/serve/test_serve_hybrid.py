"""``serve --hybrid``: the CLI builds the fusion of its legs; the API answers with hits that say which legs found them."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from serve_helpers import corpus
from typer.testing import CliRunner

from splade_search.cli import app
from splade_search.serve import create_app


@pytest.fixture()
def served(monkeypatch):
    """What ``serve`` would run: the retriever and options handed to the server (which is not started)."""
    calls: list[tuple] = []
    monkeypatch.setattr("splade_search.serve.serve", lambda retriever, **options: calls.append((retriever, options)))
    return calls


def serve(*args: object):
    return CliRunner().invoke(app, ["serve", *(str(a) for a in args)], env={"COLUMNS": "200"})


def test_serve_hybrid_answers_with_legs(index_path, tmp_path, served) -> None:
    from splade_search.bm25 import BM25Retriever

    BM25Retriever.build(corpus(), tmp_path / "bm25", implementation="inprocess")
    result = serve("--hybrid", f"sparse={index_path},bm25={tmp_path / 'bm25'}", "--weights", "bm25=2", "--port", "1")
    assert result.exit_code == 0, result.output
    (retriever, options), = served
    assert retriever.name == "hybrid" and options["port"] == 1
    with TestClient(create_app(retriever, check_every=None)) as client:
        body = client.get("/search", params={"q": "diabetes insulin", "k": 3, "explain": "true"}).json()  # as the search page asks
        assert len(body["hits"]) == 3 and all(hit["legs"] for hit in body["hits"])
        top = body["hits"][0]
        assert top["id"] == "d0" and set(top["legs"]) == {"sparse", "bm25"} and top["terms"] and top["snippet"]
        stats = client.get("/stats").json()["retriever"]
        assert stats["name"] == "hybrid" and stats["fusion"]["weights"] == {"sparse": 1.0, "bm25": 2.0}
        assert set(stats["fusion"]["legs"]) == {"sparse", "bm25"} and stats["fusion"]["legs"]["bm25"]["index"]["documents"] == 40
        refused = client.post("/search", json={"q": "cat", "mode": "pruned"})
        assert refused.status_code == 422 and refused.json()["field"] == "mode"


def test_serve_an_index_reranked(index_path, tiny_cross_encoder_dir, served) -> None:
    result = serve(index_path, "--rerank", tiny_cross_encoder_dir, "--rerank-depth", "5")
    assert result.exit_code == 0, result.output
    (retriever, _), = served
    with TestClient(create_app(retriever, check_every=None)) as client:
        hits = client.get("/search", params={"q": "diabetes insulin", "k": 2, "explain": "true"}).json()["hits"]
        assert len(hits) == 2 and all(set(hit["legs"]) == {"sparse"} and hit["legs"]["sparse"]["rank"] <= 5 for hit in hits)
        stats = client.get("/stats").json()["retriever"]
        assert stats["rerank"]["depth"] == 5 and stats["rerank"]["first_stage"]["name"] == "sparse"


@pytest.mark.parametrize(
    "args, flag",
    [
        ([], "--hybrid"),
        (["{index}", "--hybrid", "a={index}"], "--hybrid"),
        (["--hybrid", "a={index}", "--model", "splade-tiny"], "--model"),
        (["--hybrid", "a={index}", "--depth", "b=1"], "--depth"),
        (["{index}", "--fusion", "weighted"], "--fusion"),
    ],
)
def test_serve_pipeline_option_errors(index_path, served, args, flag) -> None:
    result = serve(*(arg.format(index=index_path) for arg in args))
    assert result.exit_code == 2 and flag in result.output and "error:" in result.output
    assert not served
