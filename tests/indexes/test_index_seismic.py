"""The seismic backend: Seismic's approximate search behind the `SparseIndex` contract."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.sparse as sp
from index_data import batches, brute_force, doc_ids, random_sparse, vocab

from splade_search.errors import IndexFormatError, InputError
from splade_search.indexes import CsrIndex, SparseIndex, build_index, check_build_settings, check_search_settings
from splade_search.indexes.generations import current_folder
from splade_search.indexes.manifest import file_record

pytest.importorskip("seismic", reason="the seismic backend needs splade-search[seismic]")

from splade_search.indexes.seismic import SeismicIndex  # noqa: E402

N_DOCS, N_TERMS = 1500, 400
# Weights are multiples of 1/16 below 3: exact in Seismic's float16, so its scores are exact too.
DOCS = random_sparse(N_DOCS, N_TERMS, 30, seed=51, levels=48).tolil()
DOCS[7] = 0  # a document without terms, which Seismic does not store
DOCS = DOCS.tocsr()
DOCS.eliminate_zeros()
QUERIES = random_sparse(40, N_TERMS, 8, seed=52, levels=48)
GENEROUS = {"n_postings": N_DOCS, "summary_energy": 1.0, "centroid_fraction": 0.2}


def build_seismic(path, docs=DOCS, vocabulary=None, **options):
    ids = doc_ids(docs.shape[0])
    vocabulary = vocabulary if vocabulary is not None else vocab(docs.shape[1])
    return SeismicIndex.build(path, batches(ids, docs, 400), vocabulary, show_progress=False, threads=1, **options)


@pytest.fixture(scope="module")
def seismic_index(tmp_path_factory):
    return build_seismic(tmp_path_factory.mktemp("seismic") / "idx", knobs=GENEROUS)


@pytest.fixture(scope="module")
def csr_index(tmp_path_factory):
    ids = doc_ids(N_DOCS)
    return CsrIndex.build(tmp_path_factory.mktemp("csr") / "idx", batches(ids, DOCS, 400), vocab(N_TERMS), show_progress=False)


def recall_at_10(found, exact) -> float:
    return float(np.mean([len(set(f.ids) & set(e.ids)) / len(e.ids) for f, e in zip(found, exact, strict=True) if len(e)]))


def test_approximate_search_with_generous_knobs_finds_the_exact_top_10(seismic_index, csr_index):
    exact = csr_index.search(QUERIES, k=10)
    found = seismic_index.search(QUERIES, k=10, mode="approximate", query_cut=None, heap_factor=0.5)
    assert recall_at_10(found, exact) >= 0.98
    for got, want in zip(found, exact, strict=True):
        scores = dict(zip(want.ids, want.scores.tolist()))
        assert all(np.isclose(scores[i], s, rtol=1e-5) for i, s in zip(got.ids, got.scores.tolist()) if i in scores)
        assert got.scores.tolist() == sorted(got.scores.tolist(), reverse=True)


def test_query_cut_limits_the_lists_visited(seismic_index, csr_index):
    heaviest = [int(q.indices[np.argmax(q.data)]) for q in QUERIES]
    found = seismic_index.search(QUERIES, k=10, mode="approximate", query_cut=1, heap_factor=0.5)
    for term, result in zip(heaviest, found, strict=True):
        assert all(DOCS[n, term] > 0 for n in result.indices.tolist())
    exact = csr_index.search(QUERIES, k=10)
    assert any(DOCS[n, term] == 0 for term, result in zip(heaviest, exact, strict=True) for n in result.indices.tolist())
    assert recall_at_10(found, exact) < 0.98


@pytest.mark.parametrize("k", [1, 10, 2000])
def test_exact_mode_scores_every_stored_vector(seismic_index, k):
    for query, result in zip(QUERIES, seismic_index.search(QUERIES, k=k), strict=True):
        expected_docs, expected_scores = brute_force(DOCS, query, k)
        assert result.indices.tolist() == expected_docs.tolist()
        np.testing.assert_allclose(result.scores, expected_scores, rtol=1e-6)


def test_reopened_index_answers_the_same(seismic_index):
    reopened = SparseIndex.open(seismic_index.path)
    assert isinstance(reopened, SeismicIndex)
    assert reopened.variant == "SeismicIndex" and reopened.build_settings.n_postings == N_DOCS
    for mode in ("exact", "approximate"):
        before, after = seismic_index.search(QUERIES, k=10, mode=mode), reopened.search(QUERIES, k=10, mode=mode)
        assert [r.ids for r in before] == [r.ids for r in after]
        assert all(np.array_equal(a.scores, b.scores) for a, b in zip(before, after, strict=True))
    stats = reopened.stats()
    assert (stats.backend, stats.documents, stats.postings, stats.quantization) == ("seismic", N_DOCS, DOCS.nnz, "float16")


def test_the_manifest_records_variant_settings_and_version(seismic_index):
    record = seismic_index.manifest["seismic"]
    assert record["variant"] == "SeismicIndex"
    assert record["build"] == {**seismic_index.build_settings.to_dict(), **GENEROUS}
    assert record["package_version"] == "0.5.4"


def test_a_document_without_terms_keeps_its_number(seismic_index):
    assert seismic_index.doc_ids[7] == doc_ids(N_DOCS)[7]
    assert seismic_index.explain(QUERIES[0], 7) == []
    hits = seismic_index.search(DOCS[8], k=1, mode="approximate")[0]
    assert hits.indices.tolist() == [8] and hits.ids == [doc_ids(N_DOCS)[8]]


def test_explain_reads_the_stored_vector(seismic_index):
    query = QUERIES[3]
    hit = seismic_index.search(query, k=1, mode="approximate")[0]
    parts = seismic_index.explain(query, int(hit.indices[0]))
    assert parts and np.isclose(sum(p.contribution for p in parts), hit.scores[0], rtol=1e-5)
    row = DOCS[int(hit.indices[0])]
    weights = dict(zip(row.indices.tolist(), row.data.tolist()))
    assert all(p.doc_weight == weights[int(p.token[3:])] for p in parts)


@pytest.mark.parametrize("mode, knobs", [("exact", {}), ("approximate", {"query_cut": None, "heap_factor": 0.5})])
def test_filters_keep_k_allowed_hits(seismic_index, mode, knobs):
    allowed = np.zeros(N_DOCS, dtype=bool)
    allowed[::3] = True
    for result in seismic_index.search(QUERIES[:10], k=10, mode=mode, allowed=allowed, **knobs):
        assert len(result) == 10 and allowed[result.indices].all()


def test_the_build_prints_nothing_on_stdout(tmp_path, capfd):
    build_seismic(tmp_path / "quiet", docs=DOCS[:200], knobs={"n_postings": 50})
    assert capfd.readouterr().out == ""


def test_a_large_vocabulary_uses_the_32_bit_variant(tmp_path):
    width = 70_000
    docs = sp.csr_matrix(random_sparse(300, 50, 10, seed=53))
    docs.indices = docs.indices.astype(np.int64) * 1_399  # terms up to 68,551: beyond 16-bit components
    docs = sp.csr_matrix((docs.data, docs.indices, docs.indptr), shape=(300, width))
    index = build_seismic(tmp_path / "lv", docs=docs, knobs={"n_postings": 300})
    assert index.variant == "SeismicIndexLV"
    query = docs[12]
    assert index.search(query, k=1, mode="approximate", query_cut=None)[0].indices.tolist() == [12]
    assert SparseIndex.open(tmp_path / "lv").variant == "SeismicIndexLV"


@pytest.mark.parametrize(
    "mode, knobs, message",
    [
        ("approximate", {"budget": 0.1}, "got budget"),
        ("approximate", {"query_cut": 0}, "query_cut must be a positive integer"),
        ("approximate", {"heap_factor": 0}, "heap_factor must be a number in"),
        ("approximate", {"heap_factor": True}, "heap_factor must be a number in"),
        ("pruned", {}, "offers search modes exact and approximate"),
        ("exact", {"query_cut": 3}, "takes no options"),
    ],
)
def test_search_settings_errors(seismic_index, mode, knobs, message):
    with pytest.raises(InputError, match=message):
        check_search_settings("seismic", mode, knobs)
    with pytest.raises(InputError, match=message):
        seismic_index.search(QUERIES[0], k=3, mode=mode, **knobs)


@pytest.mark.parametrize(
    "knobs, message",
    [
        ({"n_postings": 0}, "n_postings must be a positive integer"),
        ({"summary_energy": 1.5}, "summary_energy must be a number in"),
        ({"max_fraction": 0.5}, "max_fraction must be a number >= 1"),
        ({"heap_factor": 0.5}, "takes n_postings"),
    ],
)
def test_build_settings_errors(tmp_path, knobs, message):
    with pytest.raises(InputError, match=message):
        check_build_settings("seismic", knobs)
    with pytest.raises(InputError, match=message):
        build_seismic(tmp_path / "bad", knobs=knobs)
    assert not (tmp_path / "bad").exists()


def test_other_backends_take_no_build_knobs():
    with pytest.raises(InputError, match="the csr backend takes no build knobs"):
        check_build_settings("csr", {"n_postings": 10})
    check_build_settings("csr", {})


def test_refused_input_leaves_nothing_behind(tmp_path):
    negative = DOCS[:50].copy()
    negative.data[0] = -1.0
    with pytest.raises(InputError, match="non-negative weights only"):
        build_seismic(tmp_path / "neg", docs=negative)
    with pytest.raises(InputError, match="nothing for Seismic to index"):
        build_seismic(tmp_path / "none", docs=sp.csr_matrix((5, N_TERMS), dtype=np.float32))
    assert not (tmp_path / "neg").exists() and not (tmp_path / "none").exists()


def test_queries_of_another_vocabulary_or_with_negative_weights_are_refused(seismic_index):
    with pytest.raises(Exception, match="vocabulary has 400 tokens"):
        seismic_index.search(sp.csr_matrix((1, N_TERMS + 1), dtype=np.float32), mode="approximate")
    with pytest.raises(InputError, match="non-negative query weights"):
        seismic_index.search(-QUERIES[0], mode="approximate")


@pytest.fixture()
def copied(tmp_path, seismic_index):
    """A fresh small seismic index whose folder the test may damage."""
    build_seismic(tmp_path / "idx", docs=DOCS[:300], knobs={"n_postings": 100})
    return tmp_path / "idx", current_folder(tmp_path / "idx")


def reseal(folder, name):
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"][name] = file_record(folder / name)
    (folder / "manifest.json").write_text(json.dumps(manifest))


def edit_manifest(folder, change):
    manifest = json.loads((folder / "manifest.json").read_text())
    change(manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_a_changed_seismic_file_fails_its_checksum(copied):
    root, folder = copied
    data = bytearray((folder / "seismic.index.seismic").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (folder / "seismic.index.seismic").write_bytes(bytes(data))
    with pytest.raises(IndexFormatError, match="SHA-256"):
        SparseIndex.open(root)


def test_a_seismic_file_of_another_index_is_refused(copied, seismic_index):
    root, folder = copied
    other = current_folder(seismic_index.path) / "seismic.index.seismic"
    (folder / "seismic.index.seismic").write_bytes(other.read_bytes())
    reseal(folder, "seismic.index.seismic")
    with pytest.raises(IndexFormatError, match="does not belong to this index"):
        SparseIndex.open(root)


def test_a_file_seismic_cannot_read_is_refused(copied):
    root, folder = copied
    (folder / "seismic.index.seismic").write_bytes(b"not a seismic index" * 10)
    reseal(folder, "seismic.index.seismic")
    with pytest.raises(IndexFormatError, match="cannot be read as a SeismicIndex"):
        SparseIndex.open(root)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda m: m.pop("seismic"), "lacks a 'seismic' record"),
        (lambda m: m["seismic"].update(variant="SeismicIndexLV"), "needs SeismicIndex"),
        (lambda m: m["seismic"].update(variant="pickle"), "naming a known variant"),
        (lambda m: m["seismic"]["build"].update(n_postings=-1), "'seismic.build' is not valid"),
        (lambda m: m["files"].pop("empty_documents.npy"), "does not list empty_documents.npy"),
    ],
)
def test_a_damaged_manifest_is_refused(copied, change, message):
    root, folder = copied
    edit_manifest(folder, change)
    with pytest.raises(IndexFormatError, match=message):
        SparseIndex.open(root)


def test_a_crafted_empty_document_list_is_refused(copied):
    root, folder = copied
    np.save(folder / "empty_documents.npy", np.array([5, 3], dtype=np.int64))
    reseal(folder, "empty_documents.npy")
    with pytest.raises(IndexFormatError, match="increasing order"):
        SparseIndex.open(root)


def test_build_index_and_open_by_backend_name(tmp_path):
    index = build_index(
        tmp_path / "named", batches(doc_ids(200), DOCS[:200], 100), vocab(N_TERMS), backend="seismic", show_progress=False,
        knobs={"n_postings": 50},
    )
    assert isinstance(index, SeismicIndex) and isinstance(SparseIndex.open(tmp_path / "named"), SeismicIndex)
    with pytest.raises(IndexFormatError, match="is a 'seismic' index"):
        CsrIndex.open(tmp_path / "named")
