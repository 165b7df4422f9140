"""recipes/csr_curve.py end to end on a tiny CSR model: dense faiss baseline + one row per k and similarity."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BEIR_TINY = ROOT / "tests" / "fixtures" / "beir_tiny"


def load_script():
    spec = importlib.util.spec_from_file_location("csr_curve", ROOT / "recipes" / "csr_curve.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_curve_rows_match_encoding_at_each_k(csr_model, tmp_path, monkeypatch):
    pytest.importorskip("faiss")
    csr_model.save(str(tmp_path / "csr"))
    out = tmp_path / "curve.json"
    argv = ["csr_curve.py", str(BEIR_TINY), "--model", str(tmp_path / "csr"), "--ks", "4,16",
            "--similarity", "dot,cosine", "--max-length", "32", "--query-max-length", "16", "--out", str(out)]
    monkeypatch.setattr(sys, "argv", argv)
    load_script().main()
    rows = json.loads(out.read_text())
    assert [r["system"] for r in rows] == [
        "dense backbone (faiss IndexFlatIP)", "CSR k=4 (dot)", "CSR k=16 (dot)", "CSR k=4 (cosine)", "CSR k=16 (cosine)"
    ]
    for row in rows:
        assert 0 <= row["metrics"]["ndcg@10"] <= 1 and row["index_mb"] > 0
    assert [rows[i]["sparsity"]["corpus_active_dims"] for i in (1, 2)] == [4, 16]
    assert rows[1]["sparsity"]["query_active_dims"] == 4
