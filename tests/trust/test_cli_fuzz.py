"""Bad option values and bad files, verb by verb: one ``error:`` line naming the flag (or file and line), exit code 2,
no traceback, nothing half-written left behind, and no model loaded to find out."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from typer.testing import CliRunner

from splade_search.cli import app

BEIR_TINY = Path(__file__).resolve().parent.parent / "fixtures" / "beir_tiny"
runner = CliRunner()

NO_MODEL = "no-such-model-folder"
LEFTOVER_SUFFIXES = (".partial", ".swap", ".tmp")


@pytest.fixture()
def workdir(tmp_path, monkeypatch):
    """A working folder holding good and bad inputs, and a small csr index ``idx`` whose model does not exist."""
    from splade_search.indexes import CsrIndex

    monkeypatch.chdir(tmp_path)
    good = '{"_id": "a", "text": "alpha"}\n{"_id": "b", "text": "beta"}\n'
    files = {
        "corpus.jsonl": good,
        "ws.jsonl": '{"_id": "a b", "text": "alpha"}\n',
        "nl.jsonl": '{"_id": "a\\nb", "text": "alpha"}\n',
        "tab.jsonl": '{"_id": "x", "text": "y"}\n{"_id": "a\\tb", "text": "alpha"}\n',
        "dup.jsonl": '{"_id": "a", "text": "alpha"}\n{"_id": "a", "text": "beta"}\n',
        "empty.jsonl": "",
        "empty.txt": "",
        "nul.txt": "hello\x00world\n",
        "qws.tsv": "q 1\thello\n",
        "q.tsv": "q1\thello\n",
        "pairs.jsonl": '{"query": "alpha?", "positive": "alpha"}\n',
        "bad.yaml": "batch_size: abc\n",
        "afile": "not a folder\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    for name in ("binary.txt", "binary.jsonl"):
        (tmp_path / name).write_bytes(b"\xff\xfe\x00\x81binary\n")
    (tmp_path / "folder").mkdir()
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "notes.txt").write_text("not an index", encoding="utf-8")
    vectors = sp.csr_matrix(np.array([[1.0, 0.0, 0.5], [0.0, 2.0, 0.0]], dtype=np.float32))
    CsrIndex.build(tmp_path / "idx", [(["a", "b"], vectors)], ["x", "y", "z"], metadata={"model": NO_MODEL}, show_progress=False)
    return tmp_path


@pytest.fixture()
def no_model(monkeypatch):
    """Fail loudly (a traceback, exit code 1) if a verb gets as far as loading a model."""

    def refuse(*args, **kwargs):
        raise AssertionError("a model was loaded before the bad option was refused")

    from splade_search import encoder

    monkeypatch.setattr("splade_search.cli.loading.load_encoder", refuse)
    monkeypatch.setattr("splade_search.cli.index.load_encoder", refuse)
    monkeypatch.setattr("splade_search.cli.encode.load_encoder", refuse)
    monkeypatch.setattr(encoder.SparseEncoder, "__init__", refuse)


def assert_refused(workdir: Path, args: list[str], expected: str) -> str:
    """Run ``splade-search ARGS``; check the one-line refusal naming ``expected``; return that line."""
    result = runner.invoke(app, args, env={"COLUMNS": "100"})
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and expected in lines[0], lines[0]
    leftovers = [str(p) for p in workdir.rglob("*") if p.name.endswith(LEFTOVER_SUFFIXES)]
    assert not leftovers, leftovers
    return lines[0]


INDEX = ["index", "corpus.jsonl", "--out", "out", "--model", NO_MODEL]
INDEX_CASES = [
    (["--max-length", "0"], "--max-length"),
    (["--max-length", "-1"], "--max-length"),
    (["--max-length", "ten"], "--max-length"),
    (["--batch-size", "0"], "--batch-size"),
    (["--max-active-dims", "0"], "--max-active-dims"),
    (["--max-active-dims", "-1"], "--max-active-dims"),
    (["--backend", "lucen"], "--backend"),
    (["--backend-encoder", "tpu"], "--backend-encoder"),
    (["--quantization", "int9"], "--quantization"),
    (["--storage", "foo"], "--storage"),
    (["--backend", "lucene", "--quantization", "int8"], "--quantization"),
    (["--on-decode-error", "foo"], "--on-decode-error"),
    (["--out", "afile"], "--out"),
    (["--out", "afile/below"], "--out"),
    (["--out", "project"], "--out"),
    (["--bogus"], "--bogus"),
]
INDEX_CORPUS_CASES = [
    ("ws.jsonl", "ws.jsonl, line 1"),
    ("nl.jsonl", "nl.jsonl, line 1"),
    ("tab.jsonl", "tab.jsonl, line 2"),
    ("dup.jsonl", "dup.jsonl, line 2"),
    ("empty.jsonl", "empty.jsonl"),
    ("nosuch.jsonl", "nosuch.jsonl"),
    ("afile", "afile"),
]
QUERY = ["query", "hello", "--index", "idx"]
QUERY_FILE = ["query", "--index", "idx"]  # query texts and --queries together are refused
QUERY_CASES = [
    (["-k", "0"], "-k"),
    (["-k", "-1"], "-k"),
    (["-k", "3000000000"], "-k"),
    (["-k", "1.5"], "-k"),
    (["--terms", "-1"], "--terms"),
    (["--mode", "foo"], "--mode"),
    (["--knob", "x"], "--knob"),
    (["--knob", "budget=nan"], "--knob"),
    (["--knob", "budget=2"], "--knob"),
    (["--mode", "pruned", "--knob", "nonsense=1"], "--knob"),
    (["--queries", "binary.txt"], "binary.txt, line 1"),
    (["--queries", "binary.jsonl"], "binary.jsonl, line 1"),
    (["--queries", "nul.txt"], "nul.txt, line 1"),
    (["--queries", "qws.tsv"], "qws.tsv, line 1"),
    (["--queries", "ws.jsonl"], "ws.jsonl, line 1"),
    (["--queries", "empty.txt"], "empty.txt"),
    (["--queries", "nosuch.txt"], "--queries"),
    (["--queries", "folder"], "--queries"),
    (["--queries", "q.tsv", "--run", "folder"], "--run"),
    (["--queries", "q.tsv", "--run", "afile/x.run"], "--run"),
    (["--index", "afile"], "afile"),
    (["--index", "nosuch"], "nosuch"),
]
ENCODE = ["encode", "hello", "--model", NO_MODEL]
ENCODE_CASES = [
    (["--top-k", "0"], "--top-k"),
    (["--max-active-dims", "0"], "--max-active-dims"),
    (["--side", "foo"], "--side"),
]
EVAL = ["eval", "--model", NO_MODEL, "--data", str(BEIR_TINY)]
EVAL_CASES = [
    (["-k", "0"], "-k"),
    (["-k", "99999999999"], "-k"),
    (["--max-length", "0"], "--max-length"),
    (["--query-max-length", "-3"], "--query-max-length"),
    (["--batch-size", "0"], "--batch-size"),
    (["--warmup-queries", "-1"], "--warmup-queries"),
    (["--latency-queries", "0"], "--latency-queries"),
    (["--backend", "lucen"], "--backend"),
    (["--plot-x", "foo"], "--plot-x"),
    (["--mode", "foo"], "--mode"),
    (["--mode", "pruned", "--backend", "lucene"], "--mode"),
    (["--out", "afile"], "--out"),
    (["--plot", "folder"], "--plot"),
    (["--nano-dir", "afile"], "--nano-dir"),
    (["--split", "nosuch"], "nosuch"),
]
EVAL_INDEX = ["eval", "--index", "idx", "--qrels", str(BEIR_TINY / "qrels" / "test.tsv")]
EVAL_INDEX_CASES = [
    (["--queries", "binary.txt"], "binary.txt, line 1"),
    (["--queries", "folder"], "--queries"),
    (["--queries", "nosuch.txt"], "--queries"),
]
MINE = ["mine-negatives", "pairs.jsonl", "--output", "mined.jsonl", "--corpus", "corpus.jsonl", "--model", NO_MODEL]
MINE_CASES = [
    (["--negatives", "0"], "--negatives"),
    (["--depth", "0"], "--depth"),
    (["--skip-top", "-1"], "--skip-top"),
    (["--depth", "3", "--skip-top", "3"], "--depth"),
    (["--max-length", "0"], "--max-length"),
    (["--max-rows", "0"], "--max-rows"),
    (["--teacher-kind", "foo", "--teacher", NO_MODEL], "--teacher-kind"),
    (["--teacher-scale", "nan", "--teacher", NO_MODEL], "--teacher-scale"),
    (["--output", "folder"], "--out"),
    (["--index", "idx"], "--index"),
    (["--query-column", "nope"], "--query-column"),
]
MINE_FILE_CASES = [
    (["mine-negatives", "binary.jsonl", "-o", "m.jsonl", "--corpus", "corpus.jsonl"], "binary.jsonl, line 1"),
    (["mine-negatives", "folder", "-o", "m.jsonl", "--corpus", "corpus.jsonl"], "PAIRS"),
    (["mine-negatives", "pairs.jsonl", "-o", "m.jsonl", "--corpus", "ws.jsonl"], "ws.jsonl, line 1"),
    (["mine-negatives", "pairs.jsonl", "-o", "m.jsonl"], "--index"),
]
TRAIN = ["train", "--train-data", "pairs.jsonl", "--output", "model", "--model", NO_MODEL]
TRAIN_CASES = [
    (["--max-length", "0"], "--max-length"),
    (["--max-steps", "0"], "--max-steps"),
    (["--batch-size", "0"], "--batch-size"),
    (["--lr", "0"], "--lr"),
    (["--lr", "-1e-5"], "--lr"),
    (["--lr", "nan"], "--lr"),
    (["--epochs", "0"], "--epochs"),
    (["--warmup", "-1"], "--warmup"),
    (["--seed", "-1"], "--seed"),
    (["--static-lr", "0"], "--static-lr"),
    (["--query-weight", "-1"], "--query-weight"),
    (["--architecture", "foo"], "--architecture"),
    (["--loss", "foo"], "--loss"),
    (["--batch-sampler", "foo"], "--batch-sampler"),
    (["--save-steps", "0"], "--save-steps"),
    (["--eval-steps", "0"], "--eval-steps"),
    (["--max-rows", "0"], "--max-rows"),
    (["--csr-k", "0"], "--csr-k"),
    (["--cached-mini-batch-size", "0"], "--cached-mini-batch-size"),
    (["--config", "binary.txt"], "binary.txt, line 1"),
    (["--config", "nosuch.yaml"], "--config"),
    (["--config", "folder"], "--config"),
    (["--config", "bad.yaml"], "--batch-size"),
]
OTHER_CASES = [
    (["demo", "-k", "0"], "-k"),
    (["demo", "--out", "afile"], "--out"),
    (["info", "--bogus"], "--bogus"),
    (["frobnicate"], "frobnicate"),
    (["index"], "corpus"),
]


def _cases(prefix: list[str], table: list[tuple[list[str], str]]) -> list:
    return [pytest.param([*prefix, *args], expected, id=" ".join([prefix[0], *args])) for args, expected in table]


ALL_CASES = [
    *_cases(INDEX, INDEX_CASES),
    *[pytest.param(["index", name, "--out", "out", "--model", NO_MODEL], where, id=f"index {name}") for name, where in INDEX_CORPUS_CASES],
    *_cases(QUERY, [case for case in QUERY_CASES if "--queries" not in case[0]]),
    *_cases(QUERY_FILE, [case for case in QUERY_CASES if "--queries" in case[0]]),
    *_cases(ENCODE, ENCODE_CASES),
    *_cases(EVAL, EVAL_CASES),
    *_cases(EVAL_INDEX, EVAL_INDEX_CASES),
    *_cases(MINE, MINE_CASES),
    *[pytest.param(args, expected, id=" ".join(args)) for args, expected in MINE_FILE_CASES],
    *_cases(TRAIN, TRAIN_CASES),
    *[pytest.param(args, expected, id=" ".join(args)) for args, expected in OTHER_CASES],
]


@pytest.mark.parametrize("args, expected", ALL_CASES)
def test_bad_input_is_refused_before_any_model_loads(workdir, no_model, args, expected) -> None:
    assert_refused(workdir, args, expected)


def test_file_errors_name_the_path_and_reason(workdir, no_model, monkeypatch) -> None:
    """Disk full (no file named by the error): the line names the index being written."""

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("splade_search.cli.index.load_encoder", lambda *a, **k: object())
    monkeypatch.setattr("splade_search.retrieval.indexing.index_corpus", disk_full)
    line = assert_refused(workdir, ["index", "corpus.jsonl", "--out", "out"], "out: ")
    assert os.strerror(errno.ENOSPC) in line


@pytest.mark.parametrize("code", [errno.EFBIG, errno.EACCES, errno.EISDIR])
def test_os_errors_with_a_file_name_it(workdir, no_model, monkeypatch, code) -> None:
    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code), "out.partial/batch_000000.npz")

    monkeypatch.setattr("splade_search.cli.index.load_encoder", lambda *a, **k: object())
    monkeypatch.setattr("splade_search.retrieval.indexing.index_corpus", fail)
    line = assert_refused(workdir, ["index", "corpus.jsonl", "--out", "out"], "out.partial/batch_000000.npz: ")
    assert os.strerror(code) in line


def test_markup_in_a_message_is_printed_as_is(workdir, no_model) -> None:
    """A file name with brackets is not taken for rich markup."""
    (workdir / "[bold]x.jsonl").write_text('{"_id": "a b", "text": "t"}\n', encoding="utf-8")
    assert_refused(workdir, ["index", "[bold]x.jsonl", "--out", "out"], "[bold]x.jsonl, line 1")


def test_max_length_above_the_models_limit_is_refused_before_encoding(workdir) -> None:
    line = assert_refused(workdir, ["index", "corpus.jsonl", "--out", "out", "--max-length", "100000"], "--max-length")
    assert not (workdir / "out").exists()
    assert "accepts" in line
