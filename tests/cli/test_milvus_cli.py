"""`--backend milvus` through the unchanged verbs: index, query, add, delete, eval, serve, SparseRetriever."""

from __future__ import annotations

import json
import socket

import pytest
from cli_helpers import BEIR_TINY, FIXTURES, invoke, json_output

pytestmark = pytest.mark.milvus
pytest.importorskip("pymilvus", reason="the milvus backend needs splade-search[milvus]")
pytest.importorskip("milvus_lite", reason="the milvus backend needs splade-search[milvus]")


DOCUMENTS = 3  # in docs.jsonl


def hits(result) -> list[tuple[str, float]]:
    assert result.exit_code == 0, result.output
    return [(hit["id"], round(hit["score"], 4)) for hit in json.loads(result.stdout)[0]["hits"]]


@pytest.fixture()
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_index_query_add_delete_serve(workdir, tiny_mlm_dir):
    for backend in ("csr", "milvus"):
        result = invoke("index", FIXTURES / "docs.jsonl", "--model", tiny_mlm_dir, "--backend", backend, "--out", backend, "--json")
        assert json_output(result)["backend"] == backend
    query = ("query", "the second document", "-k", "3", "--json", "--index")
    assert hits(invoke(*query, "milvus")) == hits(invoke(*query, "csr"))
    other = invoke(*query, "milvus", "--model", "splade-tiny")
    assert other.exit_code == 2 and "another vocabulary" in other.output
    extra = workdir / "extra.jsonl"
    extra.write_text('{"_id": "x1", "text": "the second document again"}\n', encoding="utf-8")
    assert json_output(invoke("add", "milvus", extra, "--json"))["added"] == 1
    assert "x1" in [doc_id for doc_id, _ in hits(invoke(*query, "milvus"))]
    assert json_output(invoke("delete", "milvus", "x1", "--json"))["documents"] == DOCUMENTS
    assert "x1" not in [doc_id for doc_id, _ in hits(invoke(*query, "milvus"))]

    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from splade_search.retrieval import SparseRetriever
    from splade_search.serve import create_app

    retriever = SparseRetriever.from_index(workdir / "milvus")
    with TestClient(create_app(retriever, check_every=None)) as client:
        served = client.post("/search", json={"q": "the second document", "k": 3, "explain": True}).json()["hits"]
    assert [(hit["id"], round(hit["score"], 4)) for hit in served] == hits(invoke(*query, "csr"))
    assert served[0]["terms"]


def test_eval_reports_both_backends_alike() -> None:
    args = ("eval", "-m", "splade-tiny", "--data", BEIR_TINY, "--max-length", "64", "--warmup-queries", "0", "--json")
    results = json_output(invoke(*args, "-b", "csr", "-b", "milvus"))["results"]
    assert [r["backend"] for r in results] == ["csr", "milvus"]
    assert results[1]["metrics"] == pytest.approx(results[0]["metrics"], abs=1e-4)


def test_uri_is_checked_before_encoding(workdir, tiny_mlm_dir):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        uri = f"http://127.0.0.1:{probe.getsockname()[1]}"
    result = invoke("index", FIXTURES / "docs.jsonl", "--model", tiny_mlm_dir, "--backend", "milvus", "--uri", uri, "--out", "idx")
    assert result.exit_code == 2 and uri in result.output and "cannot reach the Milvus server" in result.output
    assert not (workdir / "idx").exists()
    result = invoke("index", FIXTURES / "docs.jsonl", "--model", tiny_mlm_dir, "--uri", uri, "--out", "idx")
    assert result.exit_code == 2 and "applies to the milvus backend only" in result.output
