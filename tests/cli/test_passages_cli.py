"""`index --passages`, the truncation note, and `query` returning documents with passage spans or passages."""

from __future__ import annotations

import json

from cli_helpers import invoke

LONG = " ".join(["the cat and the dog went to the city by the river"] * 20)


def write_corpus(path):
    rows = [{"_id": "long", "text": LONG + " insulin"}, {"_id": "short", "text": "heart disease"}]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def test_truncation_is_reported_and_passages_keep_everything(tmp_path, tiny_mlm_dir):
    write_corpus(tmp_path / "c.jsonl")
    whole = invoke("index", tmp_path / "c.jsonl", "--model", tiny_mlm_dir, "--out", tmp_path / "whole")
    assert whole.exit_code == 0 and "1 of 2 documents were longer" in whole.stdout and "--passages" in whole.stdout
    result = invoke(
        "index", tmp_path / "c.jsonl", "--model", tiny_mlm_dir, "--out", tmp_path / "parts", "--passage-tokens", "24", "--json"
    )
    summary = json.loads(result.stdout[result.stdout.index("{"):])
    assert summary["truncated_documents"] is None and summary["passages"] > 2 and summary["documents"] == 2
    hits = json.loads(invoke("query", "insulin", "--index", tmp_path / "parts", "--json").stdout)[0]["hits"]
    assert {hit["id"] for hit in hits} <= {"long", "short"} and all("passage" in hit and "snippet" in hit for hit in hits)
    rows = json.loads(invoke("query", "insulin", "--index", tmp_path / "parts", "--passages", "--json").stdout)[0]["hits"]
    assert all("#" in hit["id"] for hit in rows)
    assert invoke("query", "insulin", "--index", tmp_path / "parts", "--aggregate", "sum-top-2").exit_code == 0


def test_bad_passage_flags_are_one_line_errors(tmp_path, tiny_mlm_dir):
    write_corpus(tmp_path / "c.jsonl")
    for args, flag in [
        (["--passage-tokens", "16", "--passage-stride", "16"], "--passage-stride"),
        (["--passage-boundary", "chapter"], "--passage-boundary"),
        (["--aggregate", "median"], "--aggregate"),
        (["--passage-tokens", "4000"], "--passage-tokens"),
    ]:
        result = invoke("index", tmp_path / "c.jsonl", "--model", tiny_mlm_dir, "--out", tmp_path / "x", *args)
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert result.exit_code == 2 and len(lines) == 1 and flag in lines[0], (args, result.stderr)
    assert not (tmp_path / "x").exists() and not (tmp_path / "x.partial").exists()
