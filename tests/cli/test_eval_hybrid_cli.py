"""``eval`` with BM25 (-m bm25), dense (--dense), hybrid (--hybrid) and reranked (--rerank) systems in one table."""

from __future__ import annotations

import pytest

from cli_helpers import BEIR_TINY, invoke, json_output
from splade_search.data import load_beir, read_run
from splade_search.eval.metrics import evaluate_run

FAST = ["--data", BEIR_TINY, "-k", "10", "--warmup-queries", "0", "--latency-queries", "2", "--bm25-impl", "inprocess"]


def by_system(payload: dict) -> dict[str, dict]:
    return {result["system"]: result for result in payload["results"]}


def test_bm25_is_built_and_evaluated(tmp_path) -> None:
    from splade_search.bm25 import BM25Retriever

    results = by_system(json_output(invoke("eval", "-m", "bm25", *FAST, "--json")))
    row = results["bm25"]
    assert row["index"]["documents"] == 5 and row["query_encoding"] is not None and row["sparsity"]["avg_flops"] is not None
    data = load_beir(BEIR_TINY, "test")
    retriever = BM25Retriever.build(data.corpus.values(), tmp_path / "bm25", implementation="inprocess")
    expected = evaluate_run(data.qrels, retriever.run(data.queries, k=10), [10]).aggregate
    assert row["metrics"]["ndcg@10"] == pytest.approx(expected["ndcg@10"])


def test_singles_and_their_hybrid_in_one_table(tiny_mlm_dir, tmp_path) -> None:
    from splade_search.eval.suite import run_name

    out = tmp_path / "out"
    args = ["eval", "-m", tiny_mlm_dir, "-m", "bm25", "--hybrid", f"sparse={tiny_mlm_dir},bm25=bm25", *FAST, "--out", out]
    payload = json_output(invoke(*args, "--json"))
    results = by_system(payload)
    assert list(results) == [tiny_mlm_dir, "bm25", "rrf(sparse+bm25)"]
    hybrid = results["rrf(sparse+bm25)"]
    assert hybrid["backend"] == "hybrid" and hybrid["index"] is None and hybrid["query_encoding"] is None
    runs = {r["system"]: read_run(out / f"{run_name(r['system'], r['backend'], r['dataset'])}.run") for r in payload["results"]}
    for qid, fused in runs["rrf(sparse+bm25)"].items():  # the fusion of the very systems the table reports
        rankings = [sorted(runs[system][qid], key=lambda doc: -runs[system][qid][doc]) for system in (tiny_mlm_dir, "bm25")]
        expected = {doc: sum(1 / (61 + r.index(doc)) for r in rankings if doc in r) for doc in set().union(*rankings)}
        assert fused == pytest.approx(expected)
    table = invoke(*args)
    assert table.exit_code == 0, table.output
    assert "hybrid" in table.stdout and "end to end" in table.stdout and table.stdout.count("splade-search eval") == 1


def test_index_folder_leg_dense_model_and_rerank(tiny_dense_dir, tiny_cross_encoder_dir, tmp_path) -> None:
    built = invoke("index", BEIR_TINY, "--model", "bm25", "--bm25-impl", "inprocess", "--out", tmp_path / "bm25", "--json")
    assert built.exit_code == 0, built.output
    legs = f"bm25={tmp_path / 'bm25'},dense={tiny_dense_dir}"
    payload = json_output(
        invoke("eval", "--dense", tiny_dense_dir, "--hybrid", legs, "--rerank", tiny_cross_encoder_dir, "--rerank-depth", "3", *FAST, "--json")
    )
    systems = [result["system"] for result in payload["results"]]
    rerank = f"rerank {tiny_cross_encoder_dir.rstrip('/').split('/')[-1]}@3"
    assert systems == [tiny_dense_dir, str(tmp_path / "bm25"), "rrf(bm25+dense)", f"rrf(bm25+dense) > {rerank}"]
    dense = by_system(payload)[tiny_dense_dir]
    assert dense["backend"] == "faiss" and dense["index"]["documents"] == 5 and dense["indexing"]["documents"] == 5
    reranked = payload["results"][-1]
    assert reranked["backend"] == "cross-encoder" and reranked["metrics"]["recall@10"] <= 1.0


def test_rerank_every_system_without_hybrid(tiny_cross_encoder_dir) -> None:
    payload = json_output(invoke("eval", "-m", "bm25", "--rerank", tiny_cross_encoder_dir, *FAST, "--json"))
    systems = [result["system"] for result in payload["results"]]
    assert systems[0] == "bm25" and systems[1].startswith("bm25 > rerank ") and len(systems) == 2


@pytest.mark.parametrize(
    "args, flag, message",
    [
        (["-m", "bm25", "--hybrid", "a=bm25,b=nowhere"], "--hybrid", "leg 'b': nowhere"),
        (["-i", "nowhere"], "--index", "nowhere"),
        (["-m", "bm25", "--weights", "a=1"], "--weights", "applies to --hybrid"),
        (["-m", "bm25", "--hybrid", "a=bm25", "--depth", "b=3"], "--depth", "unknown leg(s) b"),
        (["-m", "bm25", "--bm25-impl", "java"], "--bm25-impl", "unknown BM25 implementation"),
    ],
)
def test_option_errors(args, flag, message) -> None:
    result = invoke("eval", *args, "--data", BEIR_TINY)
    assert result.exit_code == 2, result.output
    assert flag in result.stderr and message in result.stderr
