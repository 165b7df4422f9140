"""``--backend seismic`` through the CLI: build knobs on ``index``, search knobs on ``query`` and ``eval``."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli_helpers import BEIR_TINY, FIXTURES, invoke, json_output

pytest.importorskip("seismic", reason="the seismic backend needs splade-search[seismic]")


@pytest.fixture(scope="module")
def seismic_index(tiny_mlm_dir, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("seismic-cli") / "idx"
    result = invoke(
        "index", FIXTURES / "docs.jsonl", "--model", tiny_mlm_dir, "--backend", "seismic", "--out", path,
        "--knob", "n_postings=50", "--knob", "summary_energy=0.8", "--json",
    )
    summary = json_output(result)
    assert summary["backend"] == "seismic" and summary["quantization"] == "float16"
    return path


def test_index_records_the_build_knobs(seismic_index) -> None:
    from splade_search.indexes import SparseIndex

    settings = SparseIndex.open(seismic_index).build_settings
    assert (settings.n_postings, settings.summary_energy) == (50, 0.8)


def test_query_approximate_finds_the_exact_hits(seismic_index) -> None:
    args = ("query", "the cat", "--index", seismic_index, "-k", "3", "--json")
    exact = json_output(invoke(*args))
    approximate = json_output(invoke(*args, "--mode", "approximate", "--knob", "query_cut=none", "--knob", "heap_factor=0.5"))
    assert [h["id"] for h in approximate[0]["hits"]] == [h["id"] for h in exact[0]["hits"]]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--mode", "approximate", "--knob", "budget=0.1"], "got budget"),
        (["--mode", "pruned"], "offers search modes exact and approximate"),
    ],
)
def test_query_setting_errors(seismic_index, args, message) -> None:
    result = invoke("query", "the cat", "--index", seismic_index, *args)
    assert result.exit_code == 2 and message in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--knob", "n_postings=10"], "the csr backend takes no build knobs"),
        (["--backend", "seismic", "--knob", "n_postings=0"], "n_postings must be a positive integer"),
        (["--backend", "seismic", "--knob", "heap_factor=0.5"], "takes n_postings"),
    ],
)
def test_index_refuses_bad_build_knobs_before_encoding(tmp_path, args, message) -> None:
    result = invoke("index", FIXTURES / "docs.jsonl", "--model", "no-such-model", "--out", tmp_path / "idx", *args)
    assert result.exit_code == 2 and message in result.output
    assert not (tmp_path / "idx").exists()


@pytest.mark.parametrize("verb", [["index", FIXTURES / "docs.jsonl", "--update", "--out"], ["delete"]])
def test_updates_are_refused_with_advice_to_rebuild(seismic_index, verb) -> None:
    args = [*verb, seismic_index, *(["a"] if verb == ["delete"] else [])]
    result = invoke(*args)
    assert result.exit_code == 2 and "rebuild it" in result.output and "use add and delete" not in result.output


def test_eval_reports_recall_against_exact(tiny_mlm_dir) -> None:
    args = ("eval", "--model", tiny_mlm_dir, "--data", BEIR_TINY, "-b", "seismic", "-k", "10", "--warmup-queries", "0")
    payload = json_output(invoke(*args, "--mode", "approximate", "--knob", "query_cut=none", "--knob", "heap_factor=0.5", "--json"))
    result = payload["results"][0]
    assert result["backend"] == "seismic" and result["search_mode"] == "approximate"
    assert result["recall_vs_exact"]["@10"] == 1.0
