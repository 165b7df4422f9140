"""``splade-search export``: a JSON summary, outputs that never overwrite without --force (and never replace a folder
that is not an export), and one ``error:`` line with exit code 2 for bad options."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from splade_search.cli import app

from export_data import build

runner = CliRunner()


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "250"})


@pytest.fixture(scope="module")
def index_path(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    build(folder / "idx")
    return folder / "idx"


def one_error_line(result) -> str:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


@pytest.mark.parametrize(("to", "name"), [("jsonl", "d.jsonl"), ("parquet", "d.parquet"), ("opensearch", "os"), ("qdrant", "qd")])
def test_export_prints_a_json_summary_and_refuses_to_overwrite_without_force(index_path, tmp_path, to, name):
    out = tmp_path / name
    result = invoke("export", index_path, "--to", to, "--out", out, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["to"] == to and summary["documents"] == 120 and summary["out"] == str(out) and out.exists()
    before = sorted(p.name for p in tmp_path.iterdir())
    error = one_error_line(invoke("export", index_path, "--to", to, "--out", out))
    assert str(out) in error and "--force" in error
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    result = invoke("export", index_path, "--to", to, "--out", out, "--force")
    assert result.exit_code == 0 and "exported 120 documents" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no temporary file or folder left behind


def test_a_folder_that_is_not_an_export_is_never_replaced(index_path, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "keep.txt").write_text("precious")
    error = one_error_line(invoke("export", index_path, "--to", "elasticsearch", "--out", mine, "--force"))
    assert "not an export folder" in error
    assert [p.name for p in mine.iterdir()] == ["keep.txt"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--to", "solr", "--out", "x"], "--to: unknown format 'solr'; choose one of opensearch, elasticsearch, qdrant, jsonl, parquet"),
        (["--to", "jsonl"], "--to jsonl needs --out PATH"),
        (["--to", "jsonl", "--out", "x", "--url", "http://localhost:6333"], "--url writes to a Qdrant server"),
        (["--to", "qdrant", "--out", "x", "--url", "http://localhost:6333"], "either --out"),
        (["--to", "parquet", "--out", "."], "is a folder; give a file name"),
        (["--to", "opensearch", "--out", "x", "--field", "a.b"], "vector field name 'a.b'"),
        (["--to", "qdrant", "--url", "http://127.0.0.1:9"], "Qdrant server at http://127.0.0.1:9 does not answer"),
    ],
)
def test_bad_options_are_one_error_line(index_path, tmp_path, monkeypatch, args, expected):
    monkeypatch.chdir(tmp_path)
    assert expected in one_error_line(invoke("export", index_path, *args))
    assert not (tmp_path / "x").exists()


def test_a_missing_index_is_one_error_line(tmp_path):
    assert "does not exist" in one_error_line(invoke("export", tmp_path / "nothing", "--to", "jsonl", "--out", tmp_path / "o.jsonl"))
