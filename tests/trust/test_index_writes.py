"""Index writes lose nothing: only our folders are replaced, one writer at a time, atomic publication."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from splade_search.data import Document
from splade_search.errors import IndexLockedError, InputError
from splade_search.indexes import CsrIndex, SparseIndex
from splade_search.indexes.generations import CURRENT_FILE, current_folder
from splade_search.retrieval import index_corpus

REPO = Path(__file__).resolve().parents[2]
VOCAB = [f"t{i}" for i in range(8)]


def vectors(n: int, seed: int) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    dense = rng.random((n, len(VOCAB))).astype(np.float32)
    dense[dense < 0.5] = 0
    dense[:, 0] = 1.0  # every document matches term t0
    return sp.csr_matrix(dense)


def build(path: Path, ids: list[str], **options) -> CsrIndex:
    documents = [(i, f"title of {i}", f"text of {i}") for i in ids]
    return CsrIndex.build(path, [(ids, vectors(len(ids), 0))], VOCAB, documents=documents, show_progress=False, **options)


def run_python(code: str, *args: str, wait: bool = True, timeout: float = 120) -> subprocess.CompletedProcess | subprocess.Popen:
    """Run ``code`` in a fresh interpreter with this checkout first on the path."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-c", textwrap.dedent(code), *args]
    if not wait:
        return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)


def snapshot_names(root: Path) -> set[str]:
    return {p.name for p in root.iterdir()}


# -- item 4: only our folders are replaced ------------------------------------------------------


def test_a_project_folder_with_a_manifest_is_never_replaced(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "manifest.json").write_text('{"name": "my-app"}')
    (project / "main.py").write_text("print('hi')")
    with pytest.raises(InputError, match="not a splade-search index.*--force"):
        build(project, ["a", "b"])
    assert snapshot_names(project) == {"manifest.json", "main.py"}
    assert (project / "manifest.json").read_text() == '{"name": "my-app"}'


def test_force_writes_into_a_foreign_folder_and_deletes_nothing_of_it(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "notes.txt").write_text("precious")
    build(project, ["a", "b"], force=True)
    build(project, ["a", "b", "c"], force=True)
    assert len(SparseIndex.open(project)) == 3 and (project / "notes.txt").read_text() == "precious"
    with pytest.raises(InputError, match="also holds notes.txt"):
        build(project, ["a"])


def test_indexing_refuses_a_foreign_folder_before_encoding(splade_model, tmp_path, monkeypatch):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("x")
    monkeypatch.setattr(type(splade_model), "encode_document", lambda *a, **k: pytest.fail("encoded anyway"))
    with pytest.raises(InputError, match="not a splade-search index"):
        index_corpus(splade_model, [Document("d", "", "text")], tmp_path / "out", show_progress=False)
    assert snapshot_names(tmp_path) == {"out"} and snapshot_names(tmp_path / "out") == {"keep.txt"}


def test_a_damaged_index_is_replaced_only_with_force(tmp_path):
    build(tmp_path / "idx", ["a"])
    (current_folder(tmp_path / "idx") / "vocab.json").write_text("[]")
    with pytest.raises(InputError, match="cannot be verified|can be verified"):
        build(tmp_path / "idx", ["b"])
    assert build(tmp_path / "idx", ["b"], force=True).doc_ids == ["b"]


# -- item 5: staging folders ------------------------------------------------------------------


@pytest.mark.parametrize("resume", [True, False])
def test_a_partial_folder_we_did_not_make_is_left_alone(splade_model, tmp_path, resume):
    partial = tmp_path / "idx.partial"
    partial.mkdir()
    (partial / "thesis.tex").write_text("years of work")
    with pytest.raises(InputError, match="not made by splade-search"):
        index_corpus(splade_model, [Document("d", "", "text")], tmp_path / "idx", resume=resume, show_progress=False)
    assert (partial / "thesis.tex").read_text() == "years of work"
    assert not (tmp_path / "idx").exists()


# -- item 6: one writer at a time ---------------------------------------------------------------

ADD_TEN = """
import sys
import numpy as np, scipy.sparse as sp
from splade_search.indexes import CsrIndex
path, prefix = sys.argv[1], sys.argv[2]
ids = [f"{prefix}{i}" for i in range(10)]
docs = [(i, f"title of {i}", f"text of {i}") for i in ids]
rows = sp.csr_matrix(np.ones((10, 8), dtype=np.float32))
CsrIndex.add(path, [(ids, rows)], documents=docs, show_progress=False, lock_timeout=60)
"""


def test_concurrent_writers_lose_nothing(tmp_path):
    build(tmp_path / "idx", ["seed"])
    workers = [run_python(ADD_TEN, str(tmp_path / "idx"), prefix, wait=False) for prefix in ("a", "b", "c")]
    for worker in workers:
        _, err = worker.communicate(timeout=180)
        assert worker.returncode == 0, err
    index = SparseIndex.open(tmp_path / "idx")
    assert len(index) == 31 and len(set(index.doc_ids)) == 31
    assert [index.documents[n].title for n in range(len(index))] == [f"title of {i}" for i in index.doc_ids]


HOLD_LOCK = """
import sys, time
from splade_search.indexes.lock import WriteLock
with WriteLock(sys.argv[1]):
    print("locked", flush=True)
    time.sleep(30)
"""


def test_a_second_writer_is_told_who_holds_the_lock(splade_model, tmp_path, monkeypatch):
    build(tmp_path / "idx", ["seed"])
    monkeypatch.setattr(type(splade_model), "encode_document", lambda *a, **k: pytest.fail("encoded while locked"))
    holder = run_python(HOLD_LOCK, str(tmp_path / "idx"), wait=False)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(IndexLockedError, match=rf"being written by PID {holder.pid}"):
            CsrIndex.delete(tmp_path / "idx", ["seed"])
        with pytest.raises(IndexLockedError):
            build(tmp_path / "idx", ["x"])
        with pytest.raises(IndexLockedError):
            index_corpus(splade_model, [Document("d", "", "cat")], tmp_path / "idx", show_progress=False)
    finally:
        holder.kill()
        holder.wait()
    assert SparseIndex.open(tmp_path / "idx").doc_ids == ["seed"]
    assert not (tmp_path / "idx.partial").exists()
    assert CsrIndex.add(tmp_path / "idx", [(["x"], vectors(1, 1))], documents=[("x", "", "")]).doc_ids == ["seed", "x"]


# -- item 7: readers keep one snapshot ----------------------------------------------------------


def test_an_open_index_keeps_serving_its_snapshot_after_deletes_and_rebuilds(tmp_path):
    ids = [f"d{i}" for i in range(20)]
    build(tmp_path / "idx", ids)
    reader = SparseIndex.open(tmp_path / "idx")
    before = reader.search(np.ones(len(VOCAB), dtype=np.float32), k=20)[0]
    CsrIndex.delete(tmp_path / "idx", ids[:10])
    build(tmp_path / "idx", [f"new{i}" for i in range(5)])
    after = reader.search(np.ones(len(VOCAB), dtype=np.float32), k=20)[0]
    assert after.ids == before.ids
    for doc_id, number in zip(after.ids, after.indices.tolist()):
        assert reader.documents[number].id == doc_id and reader.documents[number].title == f"title of {doc_id}"
    assert SparseIndex.open(tmp_path / "idx").doc_ids == [f"new{i}" for i in range(5)]


CHURN = """
import sys, time
import numpy as np, scipy.sparse as sp
from splade_search.indexes import CsrIndex
path, rounds = sys.argv[1], int(sys.argv[2])
for r in range(rounds):
    ids = [f"r{r}-{i}" for i in range(5)]
    docs = [(i, f"title of {i}", f"text of {i}") for i in ids]
    CsrIndex.add(path, [(ids, sp.csr_matrix(np.ones((5, 8), dtype=np.float32)))], documents=docs, show_progress=False, lock_timeout=30)
    CsrIndex.delete(path, ids[:3], lock_timeout=30)
print("done", flush=True)
"""


def test_readers_opening_during_updates_always_see_a_consistent_snapshot(tmp_path):
    build(tmp_path / "idx", ["seed"])
    writer = run_python(CHURN, str(tmp_path / "idx"), "25", wait=False)
    opened = checked = 0
    deadline = time.monotonic() + 90
    while writer.poll() is None and time.monotonic() < deadline:
        index = SparseIndex.open(tmp_path / "idx")
        opened += 1
        result = index.search(np.ones(len(VOCAB), dtype=np.float32), k=50)[0]
        for doc_id, number in zip(result.ids, result.indices.tolist()):
            stored = index.documents[number]
            assert (stored.id, stored.title) == (doc_id, f"title of {doc_id}")
            checked += 1
    out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0 and out.strip() == "done", err
    assert opened > 3 and checked > 0
    assert len(SparseIndex.open(tmp_path / "idx")) == 1 + 25 * 2


# -- item 8: publication is one atomic step; leftovers are cleaned by the next write -------------

DIE_AT = """
import os, sys
import numpy as np, scipy.sparse as sp
from splade_search.indexes import CsrIndex, generations
path, where = sys.argv[1], sys.argv[2]
if where == "before-pointer":
    real = os.replace
    def replace(src, dst, *a, **k):
        if str(dst).endswith("CURRENT"):
            os._exit(137)
        return real(src, dst, *a, **k)
    generations.os.replace = replace
else:
    real_cleanup = generations.remove_leftovers
    generations.remove_leftovers = lambda root, keep=None: os._exit(137) if keep else real_cleanup(root)
ids = ["n1", "n2"]
CsrIndex.build(path, [(ids, sp.csr_matrix(np.ones((2, 8), dtype=np.float32)))], [f"t{i}" for i in range(8)], show_progress=False)
"""


@pytest.mark.parametrize("where, live", [("before-pointer", ["old"]), ("after-pointer", ["n1", "n2"])])
def test_a_writer_killed_while_publishing_leaves_one_whole_index(tmp_path, where, live):
    build(tmp_path / "idx", ["old"])
    died = run_python(DIE_AT, str(tmp_path / "idx"), where)
    assert died.returncode == 137, died.stderr
    assert SparseIndex.open(tmp_path / "idx").doc_ids == live
    generations = [p for p in (tmp_path / "idx").iterdir() if p.name.startswith(("gen-", ".gen-"))]
    assert len(generations) == 2  # the killed writer's leftover is still there ...
    build(tmp_path / "idx", ["next"])
    assert snapshot_names(tmp_path / "idx") == {CURRENT_FILE, "write.lock", current_folder(tmp_path / "idx").name}
    assert snapshot_names(tmp_path) == {"idx"}  # ... and gone after the next write; no .swap/.old siblings


SLOW_BUILD = """
import sys, time
import numpy as np, scipy.sparse as sp
from splade_search.indexes import CsrIndex
def batches():
    for b in range(1000):
        print("batch", b, flush=True)
        time.sleep(0.05)
        yield [f"b{b}"], sp.csr_matrix(np.ones((1, 8), dtype=np.float32))
CsrIndex.build(sys.argv[1], batches(), [f"t{i}" for i in range(8)], show_progress=False)
"""


def test_kill_9_during_a_rebuild_keeps_the_old_index_and_releases_the_lock(tmp_path):
    old = build(tmp_path / "idx", ["a", "b"])
    expected = old.search(np.ones(len(VOCAB), dtype=np.float32), k=5)[0].ids
    writer = run_python(SLOW_BUILD, str(tmp_path / "idx"), wait=False)
    assert writer.stdout.readline().startswith("batch")
    writer.kill()
    writer.wait()
    assert SparseIndex.open(tmp_path / "idx").search(np.ones(len(VOCAB), dtype=np.float32), k=5)[0].ids == expected
    assert CsrIndex.delete(tmp_path / "idx", ["a"]).doc_ids == ["b"]


def test_a_legacy_flat_index_is_read_and_replaced_without_touching_other_files(tmp_path):
    build(tmp_path / "idx", ["a", "b"])
    root = tmp_path / "idx"
    generation = current_folder(root)
    for item in generation.iterdir():
        item.rename(root / item.name)
    generation.rmdir()
    (root / CURRENT_FILE).unlink()
    (root / "README.txt").write_text("mine")
    assert SparseIndex.open(root).doc_ids == ["a", "b"] and SparseIndex.open(root).documents[1].title == "title of b"
    build(root, ["c"], force=True)
    assert SparseIndex.open(root).doc_ids == ["c"]
    assert snapshot_names(root) == {CURRENT_FILE, "write.lock", "README.txt", current_folder(root).name}


# -- item 9: resume matches content, not ids -----------------------------------------------------


def test_resume_refuses_a_document_whose_text_changed(splade_model, tmp_path, monkeypatch):
    docs = [Document(f"d{i}", "", f"the cat number {i}") for i in range(4)]
    original = type(splade_model).encode_document
    calls = []

    def interrupted(self, texts, **kwargs):
        calls.append(texts)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(self, texts, **kwargs)

    monkeypatch.setattr(type(splade_model), "encode_document", interrupted)
    with pytest.raises(KeyboardInterrupt):
        index_corpus(splade_model, docs, tmp_path / "idx", chunk_size=2, show_progress=False)
    monkeypatch.setattr(type(splade_model), "encode_document", original)
    edited = [Document("d0", "", "the dog instead"), *docs[1:]]
    with pytest.raises(InputError, match="document 'd0' changed"):
        index_corpus(splade_model, edited, tmp_path / "idx", chunk_size=2, show_progress=False)
    report = index_corpus(splade_model, edited, tmp_path / "idx", chunk_size=2, resume=False, show_progress=False)
    assert report.index.documents[0].text == "the dog instead"


def test_resume_refuses_a_changed_model(splade_model, tmp_path, monkeypatch):
    import torch

    original = type(splade_model).encode_document
    monkeypatch.setattr(type(splade_model), "encode_document", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        index_corpus(splade_model, [Document("d", "", "cat")], tmp_path / "idx", show_progress=False)
    monkeypatch.setattr(type(splade_model), "encode_document", original)
    with torch.no_grad():
        next(splade_model.parameters()).add_(0.5)
    with pytest.raises(InputError, match="model_fingerprint"):
        index_corpus(splade_model, [Document("d", "", "cat")], tmp_path / "idx", show_progress=False)


# -- item 13: files follow the umask ------------------------------------------------------------


def test_index_model_and_run_files_follow_the_umask(tmp_path, csr_model):
    from splade_search.data import write_run

    old = os.umask(0o022)
    try:
        report = index_corpus(csr_model, [Document("d", "t", "cat")], tmp_path / "idx", show_progress=False)
        write_run(tmp_path / "q.run", {"q1": {"d": 1.0}}, tag="t")
    finally:
        os.umask(old)
    assert report.index.model_folder is not None  # a model built in memory is kept inside the index
    for path in [tmp_path / "idx", *(tmp_path / "idx").rglob("*"), tmp_path / "q.run"]:
        expected = 0o755 if path.is_dir() else 0o644
        assert path.stat().st_mode & 0o777 == expected, path
