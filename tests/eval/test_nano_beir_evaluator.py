"""SparseNanoBEIREvaluator on two hand-made local subsets: key names and the aggregation rules."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from eval_stubs import StubEncoder, write_beir

from splade_search.errors import InputError
from splade_search.eval.evaluators import SparseNanoBEIREvaluator

SCIFACT = {
    "corpus": {"s1": "apple banana cherry", "s2": "date"},
    "queries": {"a": "apple"},
    "qrels": {"a": {"s1": 1}},
}
NFCORPUS = {
    "corpus": {"n1": "apple fig", "n2": "grape honey ice jam", "n3": "kiwi"},
    "queries": {"b": "grape honey", "c": "kiwi apple lime"},
    "qrels": {"b": {"n2": 1}, "c": {"n1": 1, "n3": 1}},
}


@pytest.fixture()
def nano_dir(tmp_path):
    write_beir(tmp_path / "NanoSciFact", **SCIFACT)
    write_beir(tmp_path / "nfcorpus", **NFCORPUS)
    return tmp_path


def dims(texts, model):
    return [len({w for w in t.split() if w in model.vocab}) for t in texts]


def counts(texts, model):
    vector = np.zeros(len(model.vocab))
    for text in texts:
        for word in {w for w in text.split() if w in model.vocab}:
            vector[model.vocab[word]] += 1
    return vector


def test_per_dataset_and_aggregated_keys(nano_dir) -> None:
    evaluator = SparseNanoBEIREvaluator(["scifact", "NanoNFCorpus"], local_dir=nano_dir, accuracy_at_k=[1], precision_recall_at_k=[1])
    results = evaluator(StubEncoder())
    assert evaluator.name == "NanoBEIR_mean"
    assert evaluator.primary_metric == "NanoBEIR_mean_dot_ndcg@10"
    for prefix in ("NanoSciFact", "NanoNFCorpus", "NanoBEIR_mean"):
        for key in ("dot_ndcg@10", "dot_mrr@10", "dot_map@100", "dot_recall@1", "query_active_dims", "corpus_sparsity_ratio", "avg_flops"):
            assert f"{prefix}_{key}" in results, f"{prefix}_{key}"


def test_aggregation_weights_and_recomputed_flops(nano_dir, tmp_path) -> None:
    model = StubEncoder()
    evaluator = SparseNanoBEIREvaluator(["scifact", "nfcorpus"], local_dir=nano_dir)
    results = evaluator(model, output_path=str(tmp_path / "out"))
    datasets = (SCIFACT, NFCORPUS)
    # IR metrics: plain mean over datasets
    assert results["NanoBEIR_mean_dot_ndcg@10"] == pytest.approx(
        (results["NanoSciFact_dot_ndcg@10"] + results["NanoNFCorpus_dot_ndcg@10"]) / 2
    )
    # query stats weighted by #queries (1 and 2), corpus stats by corpus size (2 and 3): means over all texts
    all_queries = [t for d in datasets for t in d["queries"].values()]
    all_docs = [t for d in datasets for t in d["corpus"].values()]
    assert results["NanoBEIR_mean_query_active_dims"] == pytest.approx(np.mean(dims(all_queries, model)))
    assert results["NanoBEIR_mean_corpus_active_dims"] == pytest.approx(np.mean(dims(all_docs, model)))
    assert results["NanoBEIR_mean_query_active_dims"] != pytest.approx(
        (results["NanoSciFact_query_active_dims"] + results["NanoNFCorpus_query_active_dims"]) / 2
    )
    # avg_flops from the summed count vectors, not a mean of per-dataset values
    expected_flops = float(np.dot(counts(all_queries, model) / 3, counts(all_docs, model) / 5))
    assert results["NanoBEIR_mean_avg_flops"] == pytest.approx(expected_flops)
    assert expected_flops != pytest.approx((results["NanoSciFact_avg_flops"] + results["NanoNFCorpus_avg_flops"]) / 2)
    with open(tmp_path / "out" / "NanoBEIR_evaluation_mean_results.csv", newline="") as f:
        header, row = list(csv.reader(f))
    assert header[:3] == ["epoch", "steps", "dot-Accuracy@1"] and header[-1] == "avg_flops"
    assert float(row[-1]) == pytest.approx(expected_flops)
    assert (tmp_path / "out" / "Information-Retrieval_evaluation_NanoSciFact_results.csv").is_file()


def test_max_active_dims_and_aggregate_key_in_names(nano_dir) -> None:
    evaluator = SparseNanoBEIREvaluator(["scifact"], local_dir=nano_dir, max_active_dims=8, aggregate_key="median", aggregate_fn=np.median)
    results = evaluator(StubEncoder())
    assert evaluator.primary_metric == "NanoBEIR_median_8_dot_ndcg@10"
    assert "NanoSciFact_8_dot_ndcg@10" in results and "NanoBEIR_median_8_avg_flops" in results


def test_loader_is_used_and_unknown_names_are_refused(monkeypatch, nano_dir) -> None:
    from splade_search.data import load_beir
    from splade_search.eval.evaluators import nano_beir

    seen = []

    def fake_loader(name, source, local_dir):
        seen.append((name, source))
        return load_beir(nano_dir / "NanoSciFact")

    monkeypatch.setattr(nano_beir, "load_nanobeir", fake_loader)
    SparseNanoBEIREvaluator(["SciFact"], dataset_id="zeta-alpha-ai")
    assert seen == [("scifact", "zeta-alpha-ai")]
    with pytest.raises(InputError, match="unknown NanoBEIR dataset"):
        SparseNanoBEIREvaluator(["nosuchset"], local_dir=nano_dir)
