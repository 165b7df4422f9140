"""The command line's surface for index, query, encode, demo, info, add, delete, export and merge: flag names, help
that renders at 80 columns, the query table and JSON, one progress style, and re-indexing over another corpus."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from splade_search.cli import app
from splade_search.indexes.generations import current_folder

from cli_helpers import FIXTURES

runner = CliRunner()
VERBS = ("index", "query", "encode", "demo", "info", "add", "delete", "export", "merge")
LONG_ID = "a-rather-long-document-identifier-0001"


def invoke(*args: object, columns: int = 80):
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": str(columns)})


def verb(name: str):
    return get_command(app).commands[name]


@pytest.fixture(scope="module")
def built(tmp_path_factory, tiny_mlm_dir):
    """An index of docs.jsonl plus one document with a long id, and a queries file."""
    folder = tmp_path_factory.mktemp("surface")
    corpus = folder / "docs.jsonl"
    shutil.copy(FIXTURES / "docs.jsonl", corpus)
    with corpus.open("a") as f:
        f.write(json.dumps({"_id": LONG_ID, "title": "Cats", "text": "the cat sat on the mat with another cat. " * 5}) + "\n")
    (folder / "q.tsv").write_text("q1\tthe cat\nq2\tdocument\n")
    result = invoke("index", corpus, "--model", tiny_mlm_dir, "--out", folder / "idx", "--json")
    assert result.exit_code == 0, result.output
    return folder


@pytest.mark.parametrize("name", VERBS)
def test_help_at_80_columns_shows_every_option_whole_and_flags_without_a_value(name):
    result = invoke(name, "--help")
    assert result.exit_code == 0, result.output
    assert "…" not in result.output and "<bool>" not in result.output
    words = set(re.findall(r"--?[\w-]+", result.output))
    for param in verb(name).params:
        for option in param.opts + param.secondary_opts:
            if option.startswith("-"):
                assert option in words, f"{name}: {option} is cut or missing"


@pytest.mark.parametrize("name", VERBS)
def test_defaults_written_in_help_text_are_rendered(name):
    output = invoke(name, "--help", columns=250).output
    assert not re.search(r"\w \.(\s|$)", output), "a bracketed default was eaten by rich markup"
    if name == "index":
        assert "default: indexes/<corpus name>" in output and "default: splade-tiny (--update: the index's)" in output
    if name == "query":
        assert "default: the newest under indexes/" in output


@pytest.mark.parametrize("name", VERBS)
def test_every_on_off_option_is_a_plain_flag(name):
    for param in verb(name).params:
        if getattr(getattr(param, "type", None), "name", "") == "boolean":
            assert param.is_flag and not param.secondary_opts, f"{name} {param.opts}"


@pytest.mark.parametrize("name", ["query", "encode", "demo"])
def test_result_counts_are_k_or_top_k(name):
    opts = next(p.opts for p in verb(name).params if p.name in ("k", "top_k"))
    assert sorted(opts) == ["--top-k", "-k"]


def test_query_top_k_and_json_fields(built):
    result = invoke("query", "the cat", "--index", built / "idx", "--top-k", "2", "--json", "--fields", "id,score,title")
    assert result.exit_code == 0, result.output
    (answer,) = json.loads(result.stdout)
    assert answer["query"] == "the cat" and answer["k"] == 2 and answer["found"] == 2
    assert [set(hit) for hit in answer["hits"]] == [{"id", "score", "title"}] * 2


def test_query_snippet_chars_shortens_the_snippet(built):
    args = ("query", "the cat", "--index", built / "idx", "-k", "50", "--json", "--fields", "id,text,snippet")
    default, short = (json.loads(invoke(*args, *extra).stdout)[0]["hits"] for extra in ((), ("--snippet-chars", "12")))
    long_hit = next(i for i, hit in enumerate(default) if hit["id"] == LONG_ID)
    assert len(default[long_hit]["snippet"]["text"]) > 150
    assert 0 < len(short[long_hit]["snippet"]["text"]) <= 20 and short[long_hit]["text"] == default[long_hit]["text"]


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["the cat", "--run", "out.run"], "--run"),
        (["the cat", "--queries", "q.tsv"], "--queries"),
        (["the cat", "--fields", "id"], "--fields"),
        (["the cat", "--json", "--fields", "id,nonsense"], "--fields"),
    ],
)
def test_query_refuses_contradicting_options(built, monkeypatch, args, flag):
    monkeypatch.chdir(built)
    result = invoke("query", *args, "--index", "idx")
    assert result.exit_code == 2 and flag in result.output
    assert not (built / "out.run").exists()


def test_queries_file_without_run_prints_hits_and_with_run_writes_them(built, monkeypatch):
    monkeypatch.chdir(built)
    result = invoke("query", "--queries", "q.tsv", "--index", "idx", "-k", "1", "--json")
    assert result.exit_code == 0, result.output
    assert [(a["id"], a["query"], len(a["hits"])) for a in json.loads(result.stdout)] == [("q1", "the cat", 1), ("q2", "document", 1)]
    assert not list(built.glob("*.run"))
    result = invoke("query", "--queries", "q.tsv", "--index", "idx", "-k", "1")
    assert result.exit_code == 0 and "q1: 'the cat'" in result.output and "q2: 'document'" in result.output
    result = invoke("query", "--queries", "q.tsv", "--index", "idx", "-k", "1", "--out", "out.run")
    assert result.exit_code == 0 and "out.run" in result.output
    assert [line.split()[0] for line in (built / "out.run").read_text().splitlines()] == ["q1", "q2"]


def test_query_table_never_cuts_the_id_at_80_columns(built):
    result = invoke("query", "the cat", "--index", built / "idx", "-k", "50")
    assert result.exit_code == 0, result.output
    assert LONG_ID in result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80


def test_fewer_hits_than_asked_are_explained(built):
    result = invoke("query", "cat", "--index", built / "idx", "-k", "500", "--json", "--fields", "id")
    (answer,) = json.loads(result.stdout)
    assert answer["found"] < 500 and answer["note"].startswith(f"{answer['found']} of 500 hits")
    result = invoke("query", "cat", "--index", built / "idx", "-k", "500", "--mode", "approximate", "--knob", "budget=0.01", "--json")
    (answer,) = json.loads(result.stdout)
    assert answer["found"] < 500 and "approximate search found" in answer["note"]
    result = invoke("query", "cat", "--index", built / "idx", "-k", "500", "--mode", "approximate")
    assert "approximate search found" in " ".join(result.output.split())


def test_index_progress_is_rich_only(built, tiny_mlm_dir):
    result = invoke("index", built / "docs.jsonl", "--model", tiny_mlm_dir, "--out", built / "progress-idx")
    assert result.exit_code == 0, result.output
    assert "encoding" in result.stderr and "storing documents" in result.stderr
    assert not re.search(r"\d+%\||it/s|Loading weights|Fetching", result.stderr), result.stderr


def test_reindexing_over_another_corpus_needs_force(built, tiny_mlm_dir, tmp_path):
    other = tmp_path / "other.jsonl"
    other.write_text('{"_id": "x", "text": "a different corpus"}\n')
    target = built / "idx"
    before = json.loads((current_folder(target) / "manifest.json").read_text())["metadata"]
    assert before["corpus"] == str((built / "docs.jsonl").resolve())
    result = invoke("index", other, "--model", tiny_mlm_dir, "--out", target)
    assert result.exit_code == 2 and "--force" in result.output and "docs.jsonl" in result.output
    assert json.loads((current_folder(target) / "manifest.json").read_text())["metadata"] == before
    copy = tmp_path / "copy"
    shutil.copytree(target, copy)
    assert invoke("index", built / "docs.jsonl", "--model", tiny_mlm_dir, "--out", copy, "--json").exit_code == 0
    result = invoke("index", other, "--model", tiny_mlm_dir, "--out", copy, "--force", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads((current_folder(copy) / "manifest.json").read_text())["metadata"]["corpus"] == str(other.resolve())


def test_demo_json(tmp_path):
    result = invoke("demo", "--out", tmp_path / "sample", "--top-k", "1", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["documents"] > 0 and data["queries"] and all(len(q["hits"]) == 1 for q in data["queries"])
