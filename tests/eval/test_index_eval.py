"""Index-backed evaluation on the tiny BEIR fixture (csr), its agreement with the IR evaluator, and plots."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from splade_search.data import BeirData, Document, load_beir
from splade_search.eval.evaluators import SparseInformationRetrievalEvaluator
from splade_search.eval.index_eval import evaluate_model, evaluate_retriever
from splade_search.indexes import SparseIndex
from splade_search.retrieval import SparseRetriever

BEIR_TINY = Path(__file__).resolve().parent.parent / "fixtures" / "beir_tiny"


@pytest.fixture()
def tiny_evaluation(splade_model, tmp_path):
    data = load_beir(BEIR_TINY)
    return evaluate_model(splade_model, data, tmp_path / "idx", max_length=32, query_max_length=16, k=10, warmup=2, system="tiny")


def test_report_has_quality_size_speed_and_sparsity(tiny_evaluation, splade_model) -> None:
    result = tiny_evaluation
    assert result.system == "tiny" and result.backend == "csr" and result.dataset == "beir_tiny" and result.queries == 3
    assert {"ndcg@10", "mrr@10", "recall@10", "map@10"} <= set(result.metrics)
    assert result.index.bytes_on_disk > 0 and result.index.postings > 0 and result.index.documents == 5
    assert result.indexing["docs_per_second"] > 0 and result.indexing["build_seconds"] >= 0
    assert result.search.count == 3 and result.search.p50_ms > 0 and result.search.qps > 0
    assert result.query_encoding.count == 3 and result.batch_qps > 0
    assert 0 < result.sparsity["query_active_dims"] <= result.index.vocab_size
    assert result.sparsity["corpus_active_dims"] == pytest.approx(result.index.avg_doc_terms)
    assert result.sparsity["avg_flops"] > 0
    assert splade_model.max_seq_length == 32  # the query length was restored
    payload = json.loads(json.dumps(result.to_dict()))
    assert payload["search"]["p99_ms"] >= payload["search"]["p50_ms"]
    assert "run" not in payload and set(result.run) == {"q1", "q2", "q3"}


@pytest.mark.parametrize("storage", ["plain", "compact"])
def test_index_metrics_agree_with_the_ir_evaluator(splade_model, tmp_path, storage) -> None:
    data = load_beir(BEIR_TINY)
    splade_model.max_seq_length = 32
    through_index = evaluate_model(
        splade_model, data, tmp_path / "idx", k=100, warmup=0, backend_options={"storage": storage}
    )
    direct = SparseInformationRetrievalEvaluator.from_beir(data, name="")(splade_model)
    assert through_index.metrics["ndcg@10"] == pytest.approx(direct["dot_ndcg@10"], abs=1e-6)
    assert through_index.metrics["mrr@10"] == pytest.approx(direct["dot_mrr@10"], abs=1e-6)
    assert through_index.sparsity["avg_flops"] == pytest.approx(direct["avg_flops"], rel=1e-6)
    assert through_index.sparsity["query_active_dims"] == pytest.approx(direct["query_active_dims"])


def test_self_hits_dropped_and_k_kept(tiny_evaluation, splade_model, tmp_path) -> None:
    retriever = SparseRetriever(splade_model, SparseIndex.open(tmp_path / "idx"))
    data = BeirData.from_parts([Document(i) for i in retriever.index.doc_ids], {"d1": "sparse retrieval"}, {"d1": {"d3": 1}}, name="self")
    kept = evaluate_retriever(retriever, data, k=2, warmup=0)
    dropped = evaluate_retriever(retriever, data, k=2, warmup=0, ignore_identical_ids=True)
    assert "d1" in kept.run["d1"]
    assert "d1" not in dropped.run["d1"] and len(dropped.run["d1"]) == 2


def test_plot_writes_a_png(tiny_evaluation, tmp_path) -> None:
    pytest.importorskip("matplotlib")
    from splade_search.eval.plots import plot_tradeoff

    for x in ("sparsity", "latency", "flops"):
        path = plot_tradeoff([tiny_evaluation, tiny_evaluation.to_dict()], tmp_path / f"{x}.png", x=x)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
