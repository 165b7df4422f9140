"""index -> query -> TREC run through the CLI, on every corpus format, and the bad-input rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from splade_search.cli import app
from splade_search.indexes.generations import current_folder

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
runner = CliRunner()


@pytest.fixture()
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


@pytest.mark.parametrize("corpus", ["beir_tiny", "docs.jsonl", "docs.csv", "docs.tsv", "docs.parquet", "text_docs"])
def test_every_corpus_format_indexes_and_searches(workdir, tiny_mlm_dir, corpus):
    result = invoke("index", FIXTURES / corpus, "--model", tiny_mlm_dir, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output[result.output.index("{"):])
    assert summary["documents"] > 0 and summary["postings"] > 0
    assert Path(summary["index"]).parent.name == "indexes"
    result = invoke("query", "the cat", "-k", "2", "--json")
    assert result.exit_code == 0, result.output
    hits = json.loads(result.output)[0]["hits"]
    assert 0 < len(hits) <= 2 and hits[0]["rank"] == 1


def test_query_table_explains_hits(workdir, tiny_mlm_dir):
    assert invoke("index", FIXTURES / "docs.jsonl", "--model", tiny_mlm_dir, "--out", "indexes/docs").exit_code == 0
    result = invoke("query", "the cat", "--index", "indexes/docs", "-k", "3")
    assert result.exit_code == 0, result.output
    assert "why" in result.output and "x" in result.output


def test_queries_file_writes_a_trec_run(workdir, tiny_mlm_dir):
    assert invoke("index", FIXTURES / "docs.jsonl", "--model", tiny_mlm_dir, "--out", "indexes/docs").exit_code == 0
    (workdir / "q.tsv").write_text("q1\tthe cat\nq2\tdiabetes\n")
    result = invoke("query", "--queries", "q.tsv", "--index", "indexes/docs", "--run", "out.run", "-k", "3")
    assert result.exit_code == 0, result.output
    lines = [line.split() for line in (workdir / "out.run").read_text().splitlines()]
    assert {line[0] for line in lines} <= {"q1", "q2"} and all(line[1] == "Q0" and line[5] == "splade-search" for line in lines)
    assert [line[3] for line in lines if line[0] == lines[0][0]][:2] == ["1", "2"]


def test_fast_index_records_its_projection_and_searches(workdir, tiny_mlm_dir):
    assert invoke("index", FIXTURES / "docs.jsonl", "--model", tiny_mlm_dir, "--out", "indexes/fast", "--fast").exit_code == 0
    assert invoke("index", FIXTURES / "docs.jsonl", "--model", tiny_mlm_dir, "--out", "indexes/exact").exit_code == 0
    metadata = {name: json.loads((current_folder(workdir / "indexes" / name) / "manifest.json").read_text())["metadata"] for name in ("fast", "exact")}
    assert (metadata["fast"]["projection_dtype"], metadata["exact"]["projection_dtype"]) == ("bfloat16", "float32")
    result = invoke("query", "the cat", "--index", "indexes/fast", "-k", "2", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)[0]["hits"]


def test_lucene_backend_from_the_cli(workdir, tiny_mlm_dir):
    pytest.importorskip("pyserini")
    result = invoke("index", FIXTURES / "docs.jsonl", "--model", tiny_mlm_dir, "--backend", "lucene", "--out", "indexes/lucene", "--json")
    assert result.exit_code == 0, result.output
    result = invoke("query", "the cat", "--index", "indexes/lucene", "--json", "-k", "2")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)[0]["hits"]


class TestBadInput:
    def test_empty_corpus(self, workdir, tiny_mlm_dir):
        (workdir / "empty.jsonl").write_text("")
        result = invoke("index", "empty.jsonl", "--model", tiny_mlm_dir)
        assert result.exit_code == 2 and "error" in result.output
        assert not (workdir / "indexes" / "empty").exists()

    def test_malformed_jsonl_line_names_file_and_line(self, workdir, tiny_mlm_dir):
        (workdir / "bad.jsonl").write_text('{"_id": "a", "text": "x"}\n{"_id": "b", "text": \n')
        result = invoke("index", "bad.jsonl", "--model", tiny_mlm_dir)
        assert result.exit_code == 2
        assert "bad.jsonl" in result.output and "line 2" in result.output

    def test_duplicate_ids(self, workdir, tiny_mlm_dir):
        (workdir / "dup.jsonl").write_text('{"_id": "a", "text": "x"}\n{"_id": "a", "text": "y"}\n')
        result = invoke("index", "dup.jsonl", "--model", tiny_mlm_dir)
        assert result.exit_code == 2 and "'a'" in result.output

    def test_non_utf8_file_is_skipped_with_a_warning_or_refused(self, workdir, tiny_mlm_dir):
        folder = workdir / "texts"
        folder.mkdir()
        (folder / "good.txt").write_text("the cat and the dog")
        (folder / "bad.txt").write_bytes(b"\xff\xfe caf\xe9")
        result = invoke("index", folder, "--model", tiny_mlm_dir, "--json")
        assert result.exit_code == 0, result.output
        assert [line for line in result.stderr.splitlines() if "bad.txt" in line][0].startswith("warning: ")
        assert '"documents": 1' in result.output
        result = invoke("index", folder, "--model", tiny_mlm_dir, "--on-decode-error", "error", "--out", "indexes/strict")
        assert result.exit_code == 2 and "bad.txt" in result.output

    def test_empty_query(self, workdir, tiny_mlm_dir):
        assert invoke("index", FIXTURES / "docs.jsonl", "--model", tiny_mlm_dir).exit_code == 0
        result = invoke("query", "  ")
        assert result.exit_code == 2 and "empty" in result.output

    def test_query_of_unknown_tokens_gives_an_empty_result(self, workdir, inference_free_model):
        static = inference_free_model[0].sub_modules["query"][0]
        static.weight.data[static.tokenizer.unk_token_id] = 0.0
        inference_free_model.save("if-model")
        assert invoke("index", FIXTURES / "docs.jsonl", "--model", "if-model").exit_code == 0
        result = invoke("query", "\u2603\u2603", "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)[0]["hits"] == []

    def test_index_built_with_another_models_vocabulary_is_refused(self, workdir, tiny_mlm_dir):
        assert invoke("index", FIXTURES / "docs.jsonl", "--model", tiny_mlm_dir, "--out", "indexes/docs").exit_code == 0
        result = invoke("query", "cat", "--index", "indexes/docs", "--model", "splade-tiny")
        assert result.exit_code == 2 and "another vocabulary" in result.output

    def test_no_index_yet(self, workdir):
        result = invoke("query", "cat")
        assert result.exit_code == 2 and "no index found" in result.output
