"""`index --model bm25` and `query` on a BM25 index: no encoder loaded, BM25 hits with their matching terms."""

from __future__ import annotations

import json

from cli_helpers import FIXTURES, invoke


def test_bm25_index_and_query(tmp_path):
    built = invoke("index", FIXTURES / "docs.jsonl", "--model", "bm25", "--bm25-impl", "inprocess", "--out", tmp_path / "b", "--json")
    assert built.exit_code == 0, built.output
    assert json.loads(built.stdout[built.stdout.index("{"):])["documents"] > 0
    result = invoke("query", "second comma", "--index", tmp_path / "b", "-k", "2", "--json")
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)[0]["hits"]
    assert hits[0]["id"] == "b" and {term["token"] for term in hits[0]["terms"]} == {"second", "comma"}
    refused = invoke("query", "cat", "--index", tmp_path / "b", "--aggregate", "max")
    assert refused.exit_code == 2 and "--aggregate" in refused.stderr
    wrong = invoke("index", FIXTURES / "docs.jsonl", "--model", "bm25", "--passages", "--out", tmp_path / "c")
    assert wrong.exit_code == 2 and "--model" in wrong.stderr
