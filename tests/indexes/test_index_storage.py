"""Index folders: round trip, integrity checks and crash-safe (atomic) builds."""

from __future__ import annotations

import json

import numpy as np
import pytest
from index_data import batches, doc_ids, random_sparse, vocab

from splade_search.errors import IndexFormatError, InputError
from splade_search.indexes import CsrIndex, SparseIndex
from splade_search.indexes.generations import current_folder

DOCS = random_sparse(120, 50, 10, seed=0)
QUERIES = random_sparse(10, 50, 5, seed=1)


def build(path, docs=DOCS, **options):
    return CsrIndex.build(
        path, batches(doc_ids(docs.shape[0]), docs, 32), vocab(docs.shape[1]), show_progress=False, **options
    )


def results(index):
    return [(r.ids, r.scores.tolist()) for r in index.search(QUERIES, k=5)]


def test_round_trip(tmp_path):
    built = build(tmp_path / "idx", metadata={"model": "m"})
    opened = SparseIndex.open(tmp_path / "idx")
    assert results(opened) == results(built)
    assert (opened.doc_ids, opened.vocab, opened.metadata) == (built.doc_ids, built.vocab, {"model": "m"})
    manifest = json.loads((current_folder(tmp_path / "idx") / "manifest.json").read_text())
    assert manifest["format"] == "splade-search-index" and manifest["backend"] == "csr"
    assert set(manifest["files"]) >= {"postings_docs.npy", "postings_weights.npy", "doc_ids.txt", "vocab.json"}


def test_flipped_byte_is_detected(tmp_path):
    build(tmp_path / "idx")
    target = current_folder(tmp_path / "idx") / "postings_weights.npy"
    data = bytearray(target.read_bytes())
    data[-3] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(IndexFormatError, match=r"postings_weights\.npy.*SHA-256"):
        SparseIndex.open(tmp_path / "idx")
    SparseIndex.open(tmp_path / "idx", verify=False)


@pytest.mark.parametrize("verify", [True, False])
def test_truncated_array_is_detected(tmp_path, verify):
    build(tmp_path / "idx")
    target = current_folder(tmp_path / "idx") / "postings_docs.npy"
    target.write_bytes(target.read_bytes()[:-8])
    with pytest.raises(IndexFormatError, match=r"postings_docs\.npy.*truncated"):
        SparseIndex.open(tmp_path / "idx", verify=verify)


def test_missing_manifest_or_file_or_folder(tmp_path):
    build(tmp_path / "idx")
    (current_folder(tmp_path / "idx") / "vocab.json").unlink()
    with pytest.raises(IndexFormatError, match=r"vocab\.json is missing"):
        SparseIndex.open(tmp_path / "idx")
    (current_folder(tmp_path / "idx") / "manifest.json").unlink()
    with pytest.raises(IndexFormatError, match=r"manifest\.json is missing"):
        SparseIndex.open(tmp_path / "idx")
    with pytest.raises(IndexFormatError, match="does not exist"):
        SparseIndex.open(tmp_path / "nowhere")


def test_newer_format_version_is_refused(tmp_path):
    build(tmp_path / "idx")
    manifest_path = current_folder(tmp_path / "idx") / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["format_version"] = 99
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IndexFormatError, match="Upgrade splade-search"):
        SparseIndex.open(tmp_path / "idx")


def test_crash_during_build_keeps_previous_index(tmp_path):
    previous = results(build(tmp_path / "idx"))

    def failing_batches():
        yield doc_ids(10), DOCS[:10]
        raise RuntimeError("encoder crashed")

    with pytest.raises(RuntimeError, match="encoder crashed"):
        CsrIndex.build(tmp_path / "idx", failing_batches(), vocab(50), show_progress=False)

    def failing_documents():
        yield "x", "", ""
        raise RuntimeError("reader crashed")

    with pytest.raises(RuntimeError, match="reader crashed"):
        build(tmp_path / "idx", documents=failing_documents())
    assert results(SparseIndex.open(tmp_path / "idx")) == previous
    assert [p.name for p in tmp_path.iterdir()] == ["idx"]


def test_rebuild_replaces_index_and_leaves_no_leftovers(tmp_path):
    build(tmp_path / "idx")
    smaller = random_sparse(30, 50, 10, seed=5)
    rebuilt = build(tmp_path / "idx", docs=smaller)
    assert len(SparseIndex.open(tmp_path / "idx")) == len(rebuilt) == 30
    assert [p.name for p in tmp_path.iterdir()] == ["idx"]


def test_refuses_to_replace_a_folder_that_is_not_an_index(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "keep.txt").write_text("precious")
    with pytest.raises(InputError, match="not a splade-search index"):
        build(tmp_path / "notes")
    assert (tmp_path / "notes" / "keep.txt").read_text() == "precious"


def test_arrays_are_memory_mapped_read_only(tmp_path):
    index = build(tmp_path / "idx")
    weights = index.postings.weights
    assert isinstance(weights.base, np.memmap) or isinstance(weights, np.memmap)
    assert not weights.flags.writeable
