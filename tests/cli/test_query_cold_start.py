"""`splade-search query` in a fresh process: BM25 and inference-free indexes are searched without importing torch,
BERT SPLADE ones without transformers, and the hits are those the fully loaded model gives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import splade_search
from cli_helpers import FIXTURES, invoke, json_output
from tiny_models import write_inference_free_model

REPO = str(Path(splade_search.__file__).resolve().parent.parent)
# runs the CLI, then reports on stderr's last line which heavy packages the process imported
WRAPPER = """
import json, sys
sys.argv = ["splade-search", *sys.argv[1:]]
from splade_search.cli import main
try:
    main()
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "imported": [m for m in ("torch", "transformers", "transformers.modeling_utils") if m in sys.modules]}), file=sys.stderr)
"""
QUERY = "how does the inverted index rank documents"


def _fresh_query(index: Path) -> tuple[list, list[str]]:
    """The ``query --json`` hits of a new process, and the heavy packages it imported."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": REPO, "COLUMNS": "250"}
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, "query", QUERY, "--index", str(index), "-k", "3", "--json"],
        env=env, capture_output=True, text=True, timeout=300,
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    assert report["code"] in (0, None), done.stderr
    return json.loads(done.stdout), report["imported"]


def _index(corpus: Path, out: Path, *options: object) -> Path:
    built = invoke("index", corpus, "--out", out, *options, "--json")
    assert built.exit_code == 0, built.output
    return out


def test_bm25_query_imports_no_torch(tmp_path):
    index = _index(FIXTURES / "beir_tiny" / "corpus.jsonl", tmp_path / "bm25", "--model", "bm25", "--bm25-impl", "inprocess")
    hits, imported = _fresh_query(index)
    assert imported == [] and hits[0]["hits"][0]["id"] == "d4"
    assert hits == json_output(invoke("query", QUERY, "--index", index, "-k", "3", "--json"))


@pytest.mark.parametrize("prompt", ["", "query: "])
def test_inference_free_query_imports_no_torch(tmp_path, tiny_mlm_dir, prompt):
    model = write_inference_free_model(str(tmp_path / "model"), tiny_mlm_dir, query_prompt=prompt)
    index = _index(FIXTURES / "beir_tiny" / "corpus.jsonl", tmp_path / "index", "--model", model)
    hits, imported = _fresh_query(index)
    assert imported == [] and len(hits[0]["hits"]) == 3
    # --model loads the model fully (torch, transformers, its Router): the same hits, terms and snippets
    assert hits == json_output(invoke("query", QUERY, "--index", index, "--model", model, "-k", "3", "--json"))


def test_splade_query_imports_no_transformers(tmp_path, tiny_mlm_dir):
    index = _index(FIXTURES / "beir_tiny" / "corpus.jsonl", tmp_path / "index", "--model", tiny_mlm_dir)
    hits, imported = _fresh_query(index)
    assert imported == ["torch"] and len(hits[0]["hits"]) == 3
    assert hits == json_output(invoke("query", QUERY, "--index", index, "--model", tiny_mlm_dir, "-k", "3", "--json"))
