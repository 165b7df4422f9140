"""``splade-search eval`` end to end on tiny fixtures: table, JSON, several systems, outputs, plot, bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cli_helpers import BEIR_TINY, invoke, json_output


@pytest.fixture()
def beir_copy(tmp_path) -> Path:
    return Path(shutil.copytree(BEIR_TINY, tmp_path / "beir"))


def test_table_has_quality_sparsity_size_and_latency(tiny_mlm_dir) -> None:
    result = invoke("eval", "--model", tiny_mlm_dir, "--data", BEIR_TINY, "-k", "10", "--warmup-queries", "1")
    assert result.exit_code == 0, result.output
    for column in ("nDCG@10", "MRR@10", "R@10", "q dims", "d dims", "FLOPs", "size MB", "docs/s", "p50 ms", "p99 ms", "QPS"):
        assert column in result.output, column
    assert "beir_tiny" in result.output


def test_json_with_two_models_and_two_outputs(tiny_mlm_dir, tmp_path) -> None:
    out, plot = tmp_path / "results", tmp_path / "plot.png"
    result = invoke(
        "eval", "--model", tiny_mlm_dir, "--model", "splade-tiny", "--data", BEIR_TINY,
        "--max-length", "32", "--query-max-length", "8", "--out", out, "--plot", plot, "--json",
    )
    payload = json_output(result)
    systems = [r["system"] for r in payload["results"]]
    assert systems == [tiny_mlm_dir, "splade-tiny"]
    first = payload["results"][0]
    assert {"ndcg@10", "mrr@10", "recall@100"} <= set(first["metrics"])
    assert first["index"]["bytes_on_disk"] > 0 and first["indexing"]["docs_per_second"] > 0
    assert first["search"]["count"] == 3 and first["sparsity"]["avg_flops"] is not None
    saved = json.loads((out / "results.json").read_text())
    assert len(saved["results"]) == 2
    runs = sorted(p.name for p in out.glob("*.run"))
    assert len(runs) == 2 and "splade-tiny.csr.beir_tiny.run" in runs
    assert plot.read_bytes()[:4] == b"\x89PNG"


def test_several_models_print_one_table(tiny_mlm_dir) -> None:
    result = invoke("eval", "-m", tiny_mlm_dir, "-m", "splade-tiny", "--data", BEIR_TINY, "--max-length", "32", "--warmup-queries", "0")
    assert result.exit_code == 0, result.output
    assert result.output.count("splade-search eval") == 1
    assert "splade-tiny" in result.output and Path(tiny_mlm_dir).name[:8] in result.output


def test_existing_index_with_qrels_and_queries_files(tiny_mlm_dir, tmp_path) -> None:
    assert invoke("index", BEIR_TINY, "--model", tiny_mlm_dir, "--out", tmp_path / "idx", "--json").exit_code == 0
    (tmp_path / "q.tsv").write_text("q1\twhat is sparse retrieval\nq2\thow does BM25 rank documents\n")
    (tmp_path / "qrels.txt").write_text("q1 0 d1 1\nq2 0 d2 1\nq2 0 d99 1\nq7 0 d1 1\n")
    result = invoke("eval", "--index", tmp_path / "idx", "--qrels", tmp_path / "qrels.txt", "--queries", tmp_path / "q.tsv", "--json")
    payload = json_output(result)
    data = payload["results"][0]["data"]
    assert data["queries"] == 2 and data["judgements_unknown_doc"] == 1 and data["judgements_unknown_query"] == 1
    assert "warning:" in result.stderr and "d99" in result.stderr


def test_nanobeir_names_from_a_local_folder(tiny_mlm_dir, tmp_path) -> None:
    shutil.copytree(BEIR_TINY, tmp_path / "nano" / "NanoSciFact")
    shutil.copytree(BEIR_TINY, tmp_path / "nano" / "nfcorpus")
    result = invoke("eval", "-m", tiny_mlm_dir, "--data", "nano:scifact,nfcorpus", "--nano-dir", tmp_path / "nano", "--json")
    payload = json_output(result)
    assert [r["dataset"] for r in payload["results"]] == ["NanoSciFact", "NanoNFCorpus"]
    assert list(payload["means"]) == [f"{tiny_mlm_dir} [csr]"]


def test_unknown_ids_in_qrels_are_warned_and_counted(tiny_mlm_dir, beir_copy) -> None:
    with open(beir_copy / "qrels" / "test.tsv", "a") as f:
        f.write("q1\tnope\t1\nghost\td1\t1\n")
    result = invoke("eval", "-m", tiny_mlm_dir, "--data", beir_copy)
    assert result.exit_code == 0, result.output
    assert "1 judgement(s) name unknown docs" in result.stdout and "1 judgement(s) name unknown queries" in result.stdout
    assert "warning:" in result.stderr and "'ghost'" in result.stderr


def test_empty_query_set_is_a_clear_error(tiny_mlm_dir, beir_copy) -> None:
    (beir_copy / "queries.jsonl").write_text('{"_id": "other", "text": "not judged"}\n')
    result = invoke("eval", "-m", tiny_mlm_dir, "--data", beir_copy)
    assert result.exit_code == 2
    assert "none of the 3 judged queries has a text" in result.stderr


def test_unknown_split_lists_the_available_ones(tiny_mlm_dir) -> None:
    result = invoke("eval", "-m", tiny_mlm_dir, "--data", BEIR_TINY, "--split", "train")
    assert result.exit_code == 2
    assert "no split 'train'" in result.stderr and "available splits: dev, test" in result.stderr


def test_missing_file_is_a_clear_error(tiny_mlm_dir, beir_copy) -> None:
    (beir_copy / "corpus.jsonl").unlink()
    result = invoke("eval", "-m", tiny_mlm_dir, "--data", beir_copy)
    assert result.exit_code == 2
    assert "missing corpus.jsonl" in result.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "--model, --dense, --index and/or --hybrid"),
        (["-m", "x"], "--data"),
        (["-m", "x", "--data", "d", "--backend", "faiss"], "unknown backend"),
        (["-m", "x", "--data", "d", "--plot-x", "nope"], "choose one of"),
        (["-m", "x", "--qrels", "q", "--queries", "q"], "existing indexes"),
    ],
)
def test_option_errors(args, message) -> None:
    result = invoke("eval", *args)
    assert result.exit_code == 2
    assert message in result.output


@pytest.mark.lucene
def test_csr_and_lucene_backends_in_one_table(tiny_mlm_dir) -> None:
    pytest.importorskip("pyserini")
    payload = json_output(invoke("eval", "-m", tiny_mlm_dir, "--data", BEIR_TINY, "-b", "csr", "-b", "lucene", "--warmup-queries", "0", "--json"))
    assert [r["backend"] for r in payload["results"]] == ["csr", "lucene"]
    assert payload["results"][1]["sparsity"]["avg_flops"] is None  # per-term counts are read from csr indexes only
    assert payload["results"][1]["index"]["postings"] > 0


def test_fast_projection_evaluates_close_to_exact() -> None:
    args = ("eval", "--model", "splade-tiny", "--data", BEIR_TINY, "--max-length", "64", "--warmup-queries", "0", "--json")
    exact = json_output(invoke(*args))["results"][0]
    fast = json_output(invoke(*args, "--fast"))["results"][0]
    assert fast["metrics"]["ndcg@10"] == pytest.approx(exact["metrics"]["ndcg@10"], abs=0.05)
    assert fast["sparsity"]["corpus_active_dims"] == pytest.approx(exact["sparsity"]["corpus_active_dims"], rel=0.05)


def test_fast_needs_a_splade_model() -> None:
    result = invoke("eval", "--model", "minilm", "--data", BEIR_TINY, "--fast")
    assert result.exit_code != 0
    assert "--fast speeds up SPLADE vocabulary projections" in " ".join(result.output.split())
