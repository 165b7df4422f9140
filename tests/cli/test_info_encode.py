"""The info and encode verbs."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from splade_search.cli import app

runner = CliRunner()


def test_help_lists_verbs():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "info" in result.output and "encode" in result.output


def test_info_json_reports_embedded_models():
    result = runner.invoke(app, ["info", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["embedded_models"]["splade-tiny"]["path"]
    assert data["packages"]["torch"].startswith("2.13.0")


def test_encode_json_shows_expansion():
    result = runner.invoke(app, ["encode", "what causes diabetes", "--json", "-k", "5"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [t for t, _ in data[0]["terms"]][:2] in (["causes", "diabetes"], ["diabetes", "causes"])


def test_encode_missing_model_is_a_one_line_error(tmp_path):
    result = runner.invoke(app, ["encode", "x", "--model", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "does not exist" in result.output and "Traceback" not in result.output


def test_encode_fast_keeps_the_expansion():
    result = runner.invoke(app, ["encode", "what causes diabetes", "--json", "-k", "5", "--fast"])
    assert result.exit_code == 0, result.output
    assert [t for t, _ in json.loads(result.output)[0]["terms"]][:2] in (["causes", "diabetes"], ["diabetes", "causes"])


def test_encode_fast_refuses_models_without_a_vocabulary_projection():
    result = runner.invoke(app, ["encode", "x", "--model", "minilm", "--fast"])
    assert result.exit_code != 0
    assert "--fast speeds up SPLADE vocabulary projections" in " ".join(result.output.split())
