"""DenseEncoder, DenseIndex and DenseRetriever: load dense folders safely, build and open published indexes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hybrid_fixtures import DOCS
from splade_search.dense import DenseEncoder, DenseIndex, DenseRetriever
from splade_search.errors import IndexFormatError, IndexMismatchError, InputError, ModelFormatError
from splade_search.indexes.generations import current_folder


def test_encoder_loads_dense_folder_without_a_sparse_head(tiny_dense_dir):
    model = DenseEncoder(tiny_dense_dir, device="cpu")
    assert model.dimension == 32 and model.similarity_fn_name == "cosine"
    assert [type(m).__name__ for m in model] == ["Transformer", "Pooling", "Normalize"]
    rows = model.encode_document(["the cat and the dog", "rain"])
    assert rows.shape == (2, 32) and rows.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(rows, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(model.encode_query(["rain"])[0], rows[1], rtol=1e-5, atol=1e-6)


def test_encoder_matches_sentence_transformers(tiny_dense_dir):
    from sentence_transformers import SentenceTransformer

    texts = ["insulin and blood sugar", "the cat", "heart disease risk increase in patients"]
    expected = SentenceTransformer(tiny_dense_dir, device="cpu").encode(texts)
    np.testing.assert_allclose(DenseEncoder(tiny_dense_dir, device="cpu").encode(texts), expected, atol=1e-5)


def test_encoder_refuses_sparse_models(tiny_mlm_dir):
    with pytest.raises(ModelFormatError, match="masked-LM"):
        DenseEncoder(tiny_mlm_dir, device="cpu")


def test_build_search_and_reopen(tiny_dense_dir, tmp_path):
    model = DenseEncoder(tiny_dense_dir, device="cpu")
    retriever = DenseRetriever.build(model, DOCS, tmp_path / "dense")
    hits = retriever.search("the cat and the dog", k=3)
    texts = [f"{d.title} {d.text}".strip() for d in DOCS]
    scores = model.encode_document(texts) @ model.encode_query(["the cat and the dog"])[0]
    assert [h.id for h in hits] == [DOCS[i].id for i in np.argsort(-scores)[:3]]
    np.testing.assert_allclose([h.score for h in hits], np.sort(scores)[::-1][:3], rtol=1e-5)
    assert hits[0].rank == 1 and hits[0].text and hits[0].doc_number >= 0
    reopened = DenseRetriever.open(tmp_path / "dense")  # loads the model the index records
    assert [h.id for h in reopened.search("the cat and the dog", k=3)] == [h.id for h in hits]
    assert reopened.run({"q1": "rain and sun"}, k=2)["q1"] == {h.id: h.score for h in reopened.search("rain and sun", k=2)}
    assert len(reopened.search("rain", k=50)) == len(DOCS)  # k beyond the corpus: every document once


def test_rebuild_publishes_a_new_generation_and_readers_keep_their_snapshot(tiny_dense_dir, tmp_path):
    model = DenseEncoder(tiny_dense_dir, device="cpu")
    first = DenseRetriever.build(model, DOCS[:2], tmp_path / "dense")
    second = DenseRetriever.build(model, DOCS, tmp_path / "dense")
    assert current_folder(tmp_path / "dense").name == "gen-000002"
    assert len(first.index) == 2 and len(second.index) == 5
    assert {h.id for h in first.search("cat", k=10)} == {"d1", "d2"}  # the old snapshot still answers


def test_hnsw_mode_and_its_recall(tiny_dense_dir, tmp_path):
    model = DenseEncoder(tiny_dense_dir, device="cpu")
    exact = DenseRetriever.build(model, DOCS, tmp_path / "dense")
    approx = DenseRetriever(model, exact.index, mode="hnsw", knobs={"ef_search": 16})
    queries = ["cat", "insulin", "rain city", "genes"]
    assert [h.id for h in approx.search(queries[0], k=5)] and approx.index.recall_vs_exact(exact.encode_queries(queries), 3) == 1.0
    with pytest.raises(InputError, match="unknown hnsw option"):
        DenseRetriever(model, exact.index, mode="hnsw", knobs={"efsearch": 3})
    with pytest.raises(InputError, match="unknown dense search mode"):
        DenseRetriever(model, exact.index, mode="pruned")


def test_changed_model_is_refused(tiny_dense_dir, tmp_path):
    DenseRetriever.build(DenseEncoder(tiny_dense_dir, device="cpu"), DOCS, tmp_path / "dense")
    manifest_path = current_folder(tmp_path / "dense") / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["metadata"]["model_fingerprint"] = "0" * 32
    from splade_search.indexes.manifest import write_manifest

    folder = manifest_path.parent
    fields = {k: v for k, v in manifest.items() if k not in ("format", "format_version", "created_at", "library_version", "files")}
    write_manifest(folder, manifest["format"], list(manifest["files"]), **fields)
    with pytest.raises(IndexMismatchError, match="has changed"):
        DenseRetriever.open(tmp_path / "dense")


def test_wrong_dimension_is_refused(tiny_dense_dir, tmp_path):
    index = DenseIndex.build(tmp_path / "d", [(["a", "b"], np.eye(2, 8, dtype=np.float32))])
    with pytest.raises(IndexMismatchError, match="32-d"):
        DenseRetriever(DenseEncoder(tiny_dense_dir, device="cpu"), index)


@pytest.mark.parametrize(
    "batches, message",
    [
        ([], "no documents"),
        ([(["a", "a"], np.ones((2, 4), np.float32))], "appears twice"),
        ([(["a"], np.array([[np.nan, 0, 0, 0]], np.float32))], "NaN"),
        ([(["a"], np.ones((1, 4), np.float32)), (["b"], np.ones((1, 3), np.float32))], "shape"),
    ],
)
def test_bad_vectors_leave_nothing_behind(tmp_path, batches, message):
    with pytest.raises(InputError, match=message):
        DenseIndex.build(tmp_path / "d", batches)
    assert not (tmp_path / "d").exists()


def test_crafted_vectors_are_refused_on_open(tmp_path):
    DenseIndex.build(tmp_path / "d", [(["a", "b"], np.ones((2, 4), np.float32))])
    folder = current_folder(tmp_path / "d")
    np.save(folder / "vectors.npy", np.full((2, 4), np.inf, np.float32))  # same size, other bytes
    with pytest.raises(IndexFormatError, match="SHA-256"):
        DenseIndex.open(tmp_path / "d")
    with pytest.raises(IndexFormatError, match="NaN or infinite"):
        DenseIndex.open(tmp_path / "d", verify=False)
    np.save(folder / "vectors.npy", np.ones((4, 2), np.float32))
    with pytest.raises(IndexFormatError, match="manifest says"):
        DenseIndex.open(tmp_path / "d", verify=False)


def test_a_dense_index_is_not_overwritten_by_a_foreign_folder_check(tmp_path):
    """A dense index counts as ours: rebuilding it works, a folder with other files is refused."""
    DenseIndex.build(tmp_path / "d", [(["a"], np.ones((1, 4), np.float32))])
    DenseIndex.build(tmp_path / "d", [(["b"], np.ones((1, 4), np.float32))])
    assert DenseIndex.open(tmp_path / "d").doc_ids == ["b"]
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not a splade-search index"):
        DenseIndex.build(tmp_path / "other", [(["a"], np.ones((1, 4), np.float32))])
    assert (tmp_path / "other" / "notes.txt").read_text() == "mine"
