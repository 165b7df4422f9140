"""`index` keeps metadata fields; `query --filter` ranks inside the filtered documents and shows their fields."""

from __future__ import annotations

import json

from cli_helpers import invoke


def write_corpus(path):
    rows = [
        {"_id": f"d{i}", "text": "the cat and the dog" if i % 2 else "the cat", "year": 2015 + i, "source": "manual" if i < 3 else "faq"}
        for i in range(8)
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def test_query_filter_returns_k_matching_documents_with_their_fields(tmp_path, tiny_mlm_dir):
    write_corpus(tmp_path / "c.jsonl")
    assert invoke("index", tmp_path / "c.jsonl", "--model", tiny_mlm_dir, "--out", tmp_path / "idx").exit_code == 0
    result = invoke("query", "cat", "--index", tmp_path / "idx", "-k", "3", "--filter", "year>=2019", "--filter", "source=faq", "--json")
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)[0]["hits"]
    assert len(hits) == 3
    assert all(hit["metadata"]["source"] == "faq" and hit["metadata"]["year"] >= 2019 for hit in hits)


def test_bad_filters_are_one_line_errors_naming_the_flag(tmp_path, tiny_mlm_dir):
    write_corpus(tmp_path / "c.jsonl")
    assert invoke("index", tmp_path / "c.jsonl", "--model", tiny_mlm_dir, "--out", tmp_path / "idx").exit_code == 0
    for expression, message in [("colour=red", "'colour' is not stored"), ("year>=soon", "is not an integer"), ("year", "cannot read")]:
        result = invoke("query", "cat", "--index", tmp_path / "idx", "--filter", expression)
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert result.exit_code == 2 and len(lines) == 1 and "--filter" in lines[0] and message in lines[0], result.stderr


def test_mixed_integer_and_decimal_fields_are_coerced_and_reported(tmp_path, tiny_mlm_dir):
    (tmp_path / "c.jsonl").write_text('{"_id": "a", "text": "cat", "score": 1}\n{"_id": "b", "text": "dog", "score": 2.5}\n')
    result = invoke("index", tmp_path / "c.jsonl", "--model", tiny_mlm_dir, "--out", tmp_path / "idx")
    assert result.exit_code == 0 and "'score' mixes integers and decimals" in result.stdout
    (tmp_path / "d.jsonl").write_text('{"_id": "a", "text": "cat", "score": 1}\n{"_id": "b", "text": "dog", "score": "high"}\n')
    refused = invoke("index", tmp_path / "d.jsonl", "--model", "no-such-model", "--out", tmp_path / "idx2")  # refused before loading
    assert refused.exit_code == 2 and "'score' is int in document 'a' but string in document 'b'" in refused.stderr
