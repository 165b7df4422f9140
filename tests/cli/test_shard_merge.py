"""``index --shard i/N`` + ``merge``: three shards of the tiny BEIR corpus merge into the index a single
``index`` run builds (same hits and scores, same stats); bad specs and bad shard sets are one error line."""

from __future__ import annotations

import pytest

from cli_helpers import BEIR_TINY, invoke, json_output


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Batches of one text are encoded ~40x faster by one thread than by two on a busy machine."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture()
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def hits(index, query):
    result = invoke("query", query, "--index", index, "-k", "5", "--json", "--fields", "id,score")
    return json_output(result)[0]["hits"]


def test_three_shards_merge_into_the_single_build(workdir, tiny_mlm_dir):
    common = ("--model", tiny_mlm_dir, "--batch-size", "1", "--quantization", "uint8", "--json")
    single = json_output(invoke("index", BEIR_TINY, "--out", "single", *common))
    for number in (1, 2, 3):
        shard = json_output(invoke("index", BEIR_TINY, "--shard", f"{number}/3", *common))
        assert shard["index"] == f"indexes/beir_tiny.shard-{number}-of-3" and shard["documents"] == (2, 2, 1)[number - 1]
        assert shard["shard"] == f"{number}/3" and shard["quantization"] == "float32"  # the merge quantizes
    shards = [f"indexes/beir_tiny.shard-{n}-of-3" for n in (2, 3, 1)]
    merged = json_output(invoke("merge", "merged", *shards, "--json"))
    assert merged["shards"] == 3
    keys = ("documents", "postings", "vocab_size", "avg_doc_terms", "bytes_on_disk", "quantization", "scale", "passages")
    assert {key: merged[key] for key in keys} == {key: single[key] for key in keys}
    for query in ("sparse retrieval", "inverted index documents", "BM25 term frequency"):
        assert hits("merged", query) == hits("single", query) != []


@pytest.mark.parametrize("spec", ["0/3", "4/3", "three", "1/0"])
def test_bad_shard_specs_name_the_flag(workdir, tiny_mlm_dir, spec):
    result = invoke("index", BEIR_TINY, "--model", tiny_mlm_dir, "--shard", spec)
    assert result.exit_code == 2 and "--shard" in result.output and "i/N" in result.output
    assert not (workdir / "indexes").exists()


@pytest.mark.parametrize("extra", [("--backend", "lucene"), ("--update",), ("--model", "bm25"), ("--dense", "minilm")])
def test_shards_are_csr_encodings_only(workdir, extra):
    result = invoke("index", BEIR_TINY, "--shard", "1/2", *extra)
    assert result.exit_code == 2 and "--shard" in result.output and "merge" in result.output


def test_merge_refuses_a_missing_shard_in_one_line(workdir, tiny_mlm_dir):
    for number in (1, 3):
        assert invoke("index", BEIR_TINY, "--model", tiny_mlm_dir, "--shard", f"{number}/3").exit_code == 0
    result = invoke("merge", "merged", "indexes/beir_tiny.shard-1-of-3", "indexes/beir_tiny.shard-3-of-3")
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "shard 2/3 is missing" in lines[0]
    assert not (workdir / "merged").exists()
    result = invoke("merge", "merged", "indexes/nothing-here")
    assert result.exit_code == 2 and "indexes/nothing-here" in result.output

