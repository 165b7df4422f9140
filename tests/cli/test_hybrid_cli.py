"""``query --hybrid`` / ``--rerank`` and ``index --dense``: fused hits with their legs, option errors before any model loads."""

from __future__ import annotations

import json

import pytest

from cli_helpers import BEIR_TINY, invoke, json_output

RRF_K = 60


@pytest.fixture(scope="module")
def folders(tmp_path_factory, tiny_mlm_dir, tiny_dense_dir) -> dict[str, str]:
    """A sparse (tiny SPLADE), a BM25 and a dense (tiny dense model) index of the tiny BEIR corpus, built by the CLI."""
    root = tmp_path_factory.mktemp("legs")
    commands = {
        "sparse": ["--model", tiny_mlm_dir],
        "bm25": ["--model", "bm25", "--bm25-impl", "inprocess"],
        "dense": ["--dense", tiny_dense_dir],
    }
    for name, options in commands.items():
        built = invoke("index", BEIR_TINY, *options, "--out", root / name, "--json")
        assert built.exit_code == 0, built.output
    return {name: str(root / name) for name in commands}


def legs_option(folders: dict[str, str], *names: str) -> str:
    return ",".join(f"{name}={folders[name]}" for name in names or folders)


def test_dense_index_from_the_cli(folders, tiny_dense_dir, tmp_path) -> None:
    built = invoke("index", BEIR_TINY, "--dense", tiny_dense_dir, "--out", tmp_path / "dense", "--json")
    assert built.exit_code == 0, built.output
    summary = json.loads(built.stdout[built.stdout.index("{"):])
    assert summary["backend"] == "faiss" and summary["documents"] == 5 and summary["vocab_size"] == 32
    refused = invoke("index", BEIR_TINY, "--dense", tiny_dense_dir, "--quantization", "int8", "--out", tmp_path / "other")
    assert refused.exit_code == 2 and "--quantization" in refused.stderr and not (tmp_path / "other").exists()
    hits = json_output(invoke("query", "sparse retrieval", "-i", folders["dense"], "-k", "5", "--json"))[0]["hits"]
    assert sorted(hit["id"] for hit in hits) == ["d1", "d2", "d3", "d4", "d5"] and hits[0]["score"] >= hits[-1]["score"]
    refused = invoke("query", "x", "-i", folders["dense"], "--mode", "pruned")
    assert refused.exit_code == 2 and "--mode" in refused.stderr and "dense index" in refused.stderr


def test_hybrid_hits_say_which_legs_found_them(folders) -> None:
    payload = json_output(invoke("query", "sparse retrieval", "--hybrid", legs_option(folders), "-k", "5", "--json"))
    hits = payload[0]["hits"]
    assert len(hits) == 5 and {name for hit in hits for name in hit["legs"]} == {"sparse", "bm25", "dense"}
    for hit in hits:  # reciprocal rank fusion of the ranks each leg gave
        assert hit["score"] == pytest.approx(sum(1 / (RRF_K + leg["rank"]) for leg in hit["legs"].values()))
    assert [hit["score"] for hit in hits] == sorted((hit["score"] for hit in hits), reverse=True)
    bm25_terms = [hit for hit in hits if "bm25" in hit["legs"]]
    assert bm25_terms and all(hit["terms"] for hit in bm25_terms)  # explained by a lexical leg
    table = invoke("query", "sparse retrieval", "--hybrid", legs_option(folders), "-k", "3")
    assert table.exit_code == 0, table.output
    assert "found by (rank, score)" in table.stdout and "bm25 #1" in table.stdout


def single_hits(folders: dict[str, str], name: str, query: str) -> list[dict]:
    return json_output(invoke("query", query, "-i", folders[name], "-k", "5", "--json"))[0]["hits"]


def test_weights_and_depth_shape_the_fusion(folders) -> None:
    only_sparse = json_output(
        invoke("query", "inverted index", "--hybrid", legs_option(folders), "--weights", "sparse=1,bm25=0,dense=0", "-k", "3", "--json")
    )[0]["hits"]
    assert [hit["legs"]["sparse"]["rank"] for hit in only_sparse] == [1, 2, 3]
    dense = single_hits(folders, "dense", "documents")
    weighted = json_output(
        invoke(
            "query", "documents", "--hybrid", legs_option(folders, "bm25", "dense"), "--fusion", "weighted",
            "--normalization", "minmax", "--weights", "bm25=0", "-k", "5", "--json",
        )
    )[0]["hits"]
    assert [hit["id"] for hit in weighted] == [hit["id"] for hit in dense] and weighted[0]["score"] == pytest.approx(1.0)
    depths = {"bm25": 5, "dense": 1}  # more than -k 1 for bm25; dense contributes its best hit only
    expected: dict[str, float] = {}
    for name, depth in depths.items():
        for hit in single_hits(folders, name, "documents")[:depth]:
            expected[hit["id"]] = expected.get(hit["id"], 0.0) + 1 / (RRF_K + hit["rank"])
    top = json_output(
        invoke("query", "documents", "--hybrid", legs_option(folders, "bm25", "dense"), "--depth", "bm25=5,dense=1", "-k", "1", "--json")
    )[0]["hits"]
    assert top[0]["score"] == pytest.approx(max(expected.values())) and expected[top[0]["id"]] == pytest.approx(top[0]["score"])
    assert top[0]["legs"].get("dense", {"rank": 1})["rank"] == 1


def test_hybrid_queries_file_to_a_run(folders, tmp_path) -> None:
    (tmp_path / "q.tsv").write_text("q1\tsparse retrieval\nq2\tBM25 ranking\n")
    result = invoke("query", "--queries", tmp_path / "q.tsv", "--hybrid", legs_option(folders), "-k", "2", "--run", tmp_path / "r.run")
    assert result.exit_code == 0, result.output
    lines = (tmp_path / "r.run").read_text().splitlines()
    assert len(lines) == 4 and lines[0].startswith("q1 Q0 ")


def test_rerank_a_single_index_and_a_hybrid(folders, tiny_cross_encoder_dir) -> None:
    hits = json_output(
        invoke("query", "sparse retrieval", "-i", folders["bm25"], "--rerank", tiny_cross_encoder_dir, "--rerank-depth", "3", "-k", "2", "--json")
    )[0]["hits"]
    assert len(hits) == 2 and all(set(hit["legs"]) == {"bm25"} and hit["legs"]["bm25"]["rank"] <= 3 for hit in hits)
    assert hits[0]["score"] >= hits[1]["score"]
    fused = json_output(
        invoke("query", "sparse retrieval", "--hybrid", legs_option(folders, "sparse", "bm25"), "--rerank", tiny_cross_encoder_dir, "--json")
    )[0]["hits"]
    assert fused and all("hybrid" in hit["legs"] for hit in fused) and any("bm25" in hit["legs"] for hit in fused)


@pytest.fixture()
def no_models(monkeypatch):
    """Loading any model fails the test: option errors must come first."""

    def refuse(*args, **kwargs):
        raise AssertionError("a model was loaded before the options were checked")

    for name in ("load_encoder", "load_dense", "open_index", "open_sparse"):
        monkeypatch.setattr(f"splade_search.cli.loading.{name}", refuse)
    monkeypatch.setattr("splade_search.retrieval.pipeline.load_reranker", refuse)


@pytest.mark.parametrize(
    "options, flag, message",
    [
        (["--weights", "sparse=1,nope=2"], "--weights", "unknown leg(s) nope"),
        (["--weights", "sparse=heavy"], "--weights", "'heavy' is not a number"),
        (["--depth", "nope=5"], "--depth", "unknown leg(s) nope"),
        (["--depth", "sparse=0"], "--depth", "positive integer"),
        (["--depth", "deep"], "--depth", "name=value"),
        (["--fusion", "borda"], "--fusion", "unknown fusion method"),
        (["--normalization", "zscore"], "--normalization", "--fusion weighted"),
        (["--fusion", "weighted", "--rrf-k", "10"], "--rrf-k", "--fusion rrf"),
        (["--rerank-depth", "5"], "--rerank-depth", "--rerank"),
        (["--rerank", "./no/such/model"], "--rerank", "does not exist"),
        (["-i", "{sparse}"], "--hybrid", "not both"),
        (["--model", "splade-tiny"], "--model", "records"),
        (["--filter", "year>2000"], "--filter", "--hybrid"),
    ],
)
def test_pipeline_option_errors(folders, no_models, options, flag, message) -> None:
    args = [option.format(**folders) for option in options]
    result = invoke("query", "x", "--hybrid", legs_option(folders, "sparse", "bm25"), *args)
    assert result.exit_code == 2, result.output
    assert "error:" in result.stderr and flag in result.stderr and message in result.stderr
    assert "Traceback" not in result.output


def test_leg_that_is_not_an_index_and_options_without_hybrid(folders, no_models, tmp_path) -> None:
    result = invoke("query", "x", "--hybrid", f"sparse={folders['sparse']},junk={tmp_path}")
    assert result.exit_code == 2 and "--hybrid" in result.stderr and "leg 'junk'" in result.stderr
    alone = invoke("query", "x", "-i", folders["sparse"], "--weights", "sparse=1")
    assert alone.exit_code == 2 and "--weights" in alone.stderr and "applies to --hybrid" in alone.stderr
    filtered = invoke("query", "x", "-i", folders["sparse"], "--rerank", str(tmp_path), "--filter", "year>2000")
    assert filtered.exit_code == 2 and "--filter" in filtered.stderr


def test_help_quotes_the_library_defaults() -> None:
    from splade_search.retrieval.fusion import DEFAULT_RRF_K
    from splade_search.retrieval.hybrid import DEFAULT_DEPTH
    from splade_search.retrieval.rerank import DEFAULT_RERANK_DEPTH

    text = " ".join(invoke("query", "--help").stdout.split())
    for flag, default in (("--rrf-k", DEFAULT_RRF_K), ("--depth", DEFAULT_DEPTH), ("--rerank-depth", DEFAULT_RERANK_DEPTH)):
        assert flag in text and f"(default {default}" in text
