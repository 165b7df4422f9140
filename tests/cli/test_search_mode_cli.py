"""``--mode`` / ``--knob`` on ``splade-search query`` and ``eval``: parsing, errors, and the recall against exact search."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer

from cli_helpers import BEIR_TINY, FIXTURES, invoke, json_output
from splade_search.cli.search_options import search_settings


@pytest.fixture()
def docs_index(tiny_mlm_dir, tmp_path) -> Path:
    path = tmp_path / "docs-index"
    assert invoke("index", FIXTURES / "docs.jsonl", "--model", tiny_mlm_dir, "--out", path, "--json").exit_code == 0
    return path


def test_knob_values_parse_as_int_float_or_none() -> None:
    assert search_settings("approximate", ["budget=0.05", "rerank=10", "query_cut=None", " list_cut = none "]) == (
        "approximate",
        {"budget": 0.05, "rerank": 10, "query_cut": None, "list_cut": None},
    )
    assert search_settings("exact", None) == ("exact", {})


@pytest.mark.parametrize(
    "mode, knobs, hint",
    [
        ("fast", [], "--mode"),
        ("approximate", ["budget"], "--knob"),
        ("approximate", ["=1"], "--knob"),
        ("approximate", ["budget=abc"], "--knob"),
        ("approximate", ["budget=nan"], "--knob"),
        ("approximate", ["budget=0.1", "budget=0.2"], "--knob"),
    ],
)
def test_malformed_settings_name_the_option(mode, knobs, hint) -> None:
    with pytest.raises(typer.BadParameter) as caught:
        search_settings(mode, knobs)
    assert caught.value.param_hint == hint


def test_query_in_pruned_and_approximate_mode(docs_index) -> None:
    exact = json_output(invoke("query", "the cat", "--index", docs_index, "-k", "3", "--json"))
    pruned = json_output(invoke("query", "the cat", "--index", docs_index, "-k", "3", "--mode", "pruned", "--json"))
    assert [h["id"] for h in pruned[0]["hits"]] == [h["id"] for h in exact[0]["hits"]]
    approximate = invoke("query", "the cat", "--index", docs_index, "-k", "3", "--mode", "approximate", "--knob", "rerank=1", "--json")
    assert len(json_output(approximate)[0]["hits"]) <= 1


@pytest.mark.parametrize(
    "args, message",
    [
        (["--mode", "fast"], "unknown search mode 'fast'"),
        (["--mode", "approximate", "--knob", "budget"], "is not NAME=VALUE"),
        (["--mode", "approximate", "--knob", "budget=lots"], "must be an int, a float or none"),
        (["--mode", "approximate", "--knob", "bogus=1"], "got bogus"),
        (["--mode", "pruned", "--knob", "max_scored=5"], "max_scored must be"),
    ],
)
def test_query_setting_errors(docs_index, args, message) -> None:
    result = invoke("query", "the cat", "--index", docs_index, *args)
    assert result.exit_code == 2
    assert message in result.output


def test_eval_approximate_reports_recall_against_exact(tiny_mlm_dir) -> None:
    args = ("eval", "--model", tiny_mlm_dir, "--data", BEIR_TINY, "-k", "10", "--warmup-queries", "0")
    payload = json_output(invoke(*args, "--mode", "approximate", "--knob", "budget=0.05", "--json"))
    result = payload["results"][0]
    assert result["search_mode"] == "approximate" and result["search_knobs"] == {"budget": 0.05}
    assert set(result["recall_vs_exact"]) == {"@10", "@k"} and all(0 <= v <= 1 for v in result["recall_vs_exact"].values())
    exact = json_output(invoke(*args, "--json"))["results"][0]
    assert exact["search_mode"] == "exact" and exact["recall_vs_exact"] is None


def test_eval_table_shows_the_mode_and_the_comparison(tiny_mlm_dir) -> None:
    args = ("eval", "--model", tiny_mlm_dir, "--data", BEIR_TINY, "-k", "10", "--warmup-queries", "0")
    pruned = invoke(*args, "--mode", "pruned", "--knob", "max_scored=1")
    assert pruned.exit_code == 0, pruned.output
    assert "vs exact@10" in pruned.output and "1.0000" in pruned.output and "pruned" in pruned.output
    assert "max_scored=1" in pruned.output
    exact = invoke(*args)
    assert exact.exit_code == 0, exact.output
    assert "vs exact@10" not in exact.output and "exact" in exact.output


def test_eval_existing_index_in_approximate_mode(docs_index, tmp_path) -> None:
    (tmp_path / "q.tsv").write_text("q1\tthe cat\nq2\tdiabetes\n")
    (tmp_path / "qrels.txt").write_text("q1 0 d1 1\nq2 0 d2 1\n")
    args = ("--index", docs_index, "--qrels", tmp_path / "qrels.txt", "--queries", tmp_path / "q.tsv", "--json")
    result = json_output(invoke("eval", *args, "--mode", "approximate", "--knob", "rerank=1"))["results"][0]
    assert result["search_mode"] == "approximate" and 0 <= result["recall_vs_exact"]["@10"] <= 1
    bad = invoke("eval", *args, "--mode", "approximate", "--knob", "rerank=0")
    assert bad.exit_code == 2 and "rerank must be" in bad.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["-b", "lucene", "--mode", "pruned"], "offers search mode 'exact' only"),
        (["-b", "csr", "-b", "lucene", "--mode", "approximate"], "offers search mode 'exact' only"),
        (["--mode", "approximate", "--knob", "nope=1"], "got nope"),
        (["--mode", "exact", "--knob", "budget=0.1"], "takes no options"),
        (["--mode", "sloppy"], "unknown search mode"),
        (["--knob", "budget"], "--knob"),
    ],
)
def test_eval_refuses_settings_before_loading_or_indexing(args, message) -> None:
    # neither the model nor the data exists: the settings are refused before either is touched
    result = invoke("eval", "-m", "no-such-model", "--data", "no-such-data", *args)
    assert result.exit_code == 2
    assert message in result.output
