"""What the CLI tests share: the fixture folders and a runner that returns parsed JSON."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from splade_search.cli import app

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
BEIR_TINY = FIXTURES / "beir_tiny"
runner = CliRunner()


def invoke(*args: object):
    """Run ``splade-search ARGS`` in a wide terminal."""
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "250"})


def json_output(result) -> dict:
    """The JSON a successful ``--json`` run printed."""
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)
