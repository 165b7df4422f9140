"""The milvus backend, for real against Milvus Lite: csr's exact rankings, filters, explain, reopen, bad input."""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import time

import numpy as np
import pytest
import scipy.sparse as sp
from index_data import batches, doc_ids, random_sparse, vocab

from splade_search.errors import BackendUnavailableError, IndexMismatchError, InputError
from splade_search.indexes import CsrIndex, SparseIndex, build_index
from splade_search.indexes.generations import current_folder

pytestmark = pytest.mark.milvus
pytest.importorskip("pymilvus", reason="the milvus backend needs splade-search[milvus]")
pytest.importorskip("milvus_lite", reason="the milvus backend needs splade-search[milvus]")

from splade_search.indexes.milvus import MilvusIndex  # noqa: E402
from splade_search.indexes.milvus.writing import LITE_FOLDER  # noqa: E402

N_DOCS, N_TERMS = 300, 120
DOCS = random_sparse(N_DOCS, N_TERMS, 25, seed=51, levels=48)  # multiples of 1/16: exact sums, many ties
QUERIES = random_sparse(25, N_TERMS, 6, seed=52, levels=48)
IDS = doc_ids(N_DOCS)
RECORDS = [
    {
        "year": 2000 + i % 30,
        "source": ["manual", "faq", "blog"][i % 3],
        "tags": ["x", "y"] if i % 4 == 0 else ["z"],
        "flag": i % 2 == 0,
        "rating": i / 7,
    }
    if i % 5
    else {}
    for i in range(N_DOCS)
]
BATCHES = [(["d1", "d2"], sp.csr_matrix(np.eye(2, dtype=np.float32)))]


def build_pair(folder, docs=DOCS, ids=IDS, records=RECORDS):
    """The same vectors and metadata in a milvus index and a csr index."""
    kwargs = {"show_progress": False, "fields": records}
    milvus = MilvusIndex.build(folder / "milvus", batches(ids, docs, 128), vocab(docs.shape[1]), **kwargs)
    csr = CsrIndex.build(folder / "csr", batches(ids, docs, 128), vocab(docs.shape[1]), **kwargs)
    return milvus, csr


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    milvus, csr = build_pair(tmp_path_factory.mktemp("milvus"))
    yield milvus, csr
    milvus.close()


def assert_same(found, expected):
    for got, want in zip(found, expected, strict=True):
        assert got.ids == want.ids
        assert got.indices.tolist() == want.indices.tolist()
        np.testing.assert_allclose(got.scores, want.scores, rtol=1e-6)


@pytest.mark.parametrize("k", [1, 10, N_DOCS + 5])
def test_rankings_equal_csr_exact_ties_included(pair, k):
    milvus, csr = pair
    assert_same(milvus.search(QUERIES, k=k), csr.search(QUERIES, k=k))


def test_float_weights_match_csr_top10_and_scores(tmp_path):
    docs, queries = random_sparse(200, 80, 20, seed=61), random_sparse(15, 80, 5, seed=62)
    milvus, csr = build_pair(tmp_path, docs, doc_ids(200), None)
    for got, want in zip(milvus.search(queries, k=10), csr.search(queries, k=10), strict=True):
        assert got.ids == want.ids
        np.testing.assert_allclose(got.scores, want.scores, rtol=1e-5)


FILTERS = [
    "year>=2015",
    "year<2003 and source=faq",
    "source in manual,blog",
    "source != faq",
    "source not in faq,blog",
    'source > "faq"',
    "tags=x",
    "tags != x",
    "tags in x,z",
    "tags not in y",
    "flag=true",
    "rating<=10.5",
    {"year": {">": 2020}, "source": ["faq", "manual"]},
]


@pytest.mark.parametrize("spec", FILTERS, ids=str)
def test_filters_run_in_milvus_with_csr_semantics(pair, spec):
    milvus, csr = pair
    assert_same(milvus.search(QUERIES, k=10, filter=spec), csr.search(QUERIES, k=10, filter=spec))


def test_allowed_masks_few_and_many(pair):
    milvus, csr = pair
    rng = np.random.default_rng(3)
    for share in (0.05, 0.9):
        allowed = rng.random(N_DOCS) < share
        assert_same(milvus.search(QUERIES, k=10, allowed=allowed), csr.search(QUERIES, k=10, allowed=allowed))
    nothing = np.zeros(N_DOCS, dtype=bool)
    assert all(len(r) == 0 for r in milvus.search(QUERIES, k=10, allowed=nothing))


@pytest.mark.parametrize(
    "spec, message",
    [("colour=red", "not stored"), ("year>=soon", "integer"), ("rating<inf", "finite"), ("tags>x", "list of strings")],
)
def test_filters_milvus_cannot_take_are_input_errors(pair, spec, message):
    with pytest.raises(InputError, match=message):
        pair[0].search(QUERIES[0], filter=spec)


def test_explain_reads_the_stored_vectors(pair):
    milvus, csr = pair
    for row in range(5):
        doc = int(csr.search(QUERIES[row], k=1)[0].indices[0])
        assert milvus.explain(QUERIES[row], doc) == csr.explain(QUERIES[row], doc)


def test_reopen_stats_and_files(pair):
    milvus, csr = pair
    with SparseIndex.open(milvus.path) as reopened:
        assert isinstance(reopened, MilvusIndex) and reopened.uri is None
        assert_same(reopened.search(QUERIES[:5], k=10), csr.search(QUERIES[:5], k=10))
        stats = reopened.stats()
    assert (stats.backend, stats.documents, stats.postings) == ("milvus", N_DOCS, csr.stats().postings)
    folder = current_folder(milvus.path)
    assert (folder / LITE_FOLDER).is_dir()
    assert any(name.startswith(f"{LITE_FOLDER}/") for name in milvus.manifest["files"])


def test_search_settings_and_negative_weights(pair):
    milvus = pair[0]
    with pytest.raises(InputError, match="'exact' only"):
        milvus.search(QUERIES[0], mode="approximate")
    with pytest.raises(InputError, match="non-negative"):
        milvus.search(-QUERIES[0].toarray())
    with pytest.raises(IndexMismatchError, match="columns"):
        milvus.search(np.ones(N_TERMS + 1, dtype=np.float32))
    with pytest.raises(InputError, match="non-negative"):
        MilvusIndex.build(milvus.path.parent / "neg", [(["a"], -sp.csr_matrix(np.ones((1, 3))))], vocab(3), show_progress=False)
    assert not (milvus.path.parent / "neg").exists()


def test_add_and_delete_publish_generations_readers_keep_snapshots(tmp_path):
    milvus, csr = build_pair(tmp_path, DOCS[:100], IDS[:100], RECORDS[:100])
    new = random_sparse(20, N_TERMS, 25, seed=71, levels=48)
    new_ids = [f"new {i}" for i in range(20)]
    before = milvus.search(QUERIES, k=10)
    added = MilvusIndex.add(milvus.path, [(new_ids, new)], fields=RECORDS[100:120], show_progress=False)
    csr_added = CsrIndex.add(csr.path, [(new_ids, new)], fields=RECORDS[100:120], show_progress=False)
    assert_same(added.search(QUERIES, k=10, filter="year>=2010"), csr_added.search(QUERIES, k=10, filter="year>=2010"))
    assert_same(milvus.search(QUERIES, k=10), before)  # the old generation's snapshot, its folder already removed
    doomed = [IDS[3], "new 4"]
    deleted = MilvusIndex.delete(milvus.path, doomed)
    csr_deleted = CsrIndex.delete(csr.path, doomed)
    assert_same(deleted.search(QUERIES, k=10), csr_deleted.search(QUERIES, k=10))
    assert deleted.stats().postings == csr_deleted.stats().postings
    with pytest.raises(InputError, match="not in the index"):
        MilvusIndex.delete(milvus.path, ["nobody"])
    with pytest.raises(InputError, match="differ in names or types"):
        MilvusIndex.add(milvus.path, [(["other"], new[:1])], fields=[{"colour": "red"}], show_progress=False)
    for index in (milvus, added, deleted):
        index.close()


def test_collection_of_another_vocabulary_is_refused(tmp_path):
    ones = sp.csr_matrix(np.ones((2, 4), dtype=np.float32))
    MilvusIndex.build(tmp_path / "a", [(["p", "q"], ones)], vocab(4), show_progress=False).close()
    MilvusIndex.build(tmp_path / "b", [(["p", "q"], ones)], ["w", "x", "y", "z"], show_progress=False).close()
    a, b = current_folder(tmp_path / "a"), current_folder(tmp_path / "b")
    shutil.rmtree(a / LITE_FOLDER)
    shutil.copytree(b / LITE_FOLDER, a / LITE_FOLDER)
    with pytest.raises(IndexMismatchError, match="another model's vocabulary"):
        SparseIndex.open(tmp_path / "a", verify=False).prepare()  # the collection is checked on connecting


def test_database_open_in_another_process_is_named(tmp_path):
    MilvusIndex.build(tmp_path / "idx", BATCHES, vocab(2), show_progress=False).close()
    lock = current_folder(tmp_path / "idx") / LITE_FOLDER / "LOCK"
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # what Milvus Lite in another process holds
        index = SparseIndex.open(tmp_path / "idx")  # the folder alone: enough for add, delete, the model
        with pytest.raises(BackendUnavailableError, match="open in another process"):
            index.search(np.ones(2, np.float32))
    finally:
        os.close(fd)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_unreachable_server_fails_fast_naming_it(tmp_path):
    uri = f"http://127.0.0.1:{closed_port()}"
    start = time.perf_counter()
    with pytest.raises(BackendUnavailableError, match=uri):
        build_index(tmp_path / "idx", iter(BATCHES), ["a", "b"], backend="milvus", uri=uri, show_progress=False)
    assert time.perf_counter() - start < 10
    assert not (tmp_path / "idx").exists()
    with pytest.raises(InputError, match="not a Milvus server address"):
        MilvusIndex.build(tmp_path / "idx", iter(BATCHES), ["a", "b"], uri="milvus.db", show_progress=False)


@pytest.fixture()
def server(tmp_path):
    """A Milvus Lite gRPC server standing in for a Milvus server (the same client calls reach it)."""
    from milvus_lite import server_manager_instance
    from pymilvus import MilvusClient

    data = str(tmp_path / "server.db")
    uri = server_manager_instance.start_and_get_uri(data)
    client = MilvusClient(uri=uri)
    yield uri, client
    client.close()
    server_manager_instance.release_server(data)


def failing_batches():
    yield IDS[:50], DOCS[:50]
    raise InputError("the corpus broke")


def test_server_collections_token_in_place_edits_and_rebuilds(tmp_path, server, monkeypatch):
    uri, client = server
    monkeypatch.setenv("SPLADE_MILVUS_TOKEN", "s3cret-token")
    options = {"uri": uri, "fields": RECORDS[:100], "show_progress": False}
    milvus = MilvusIndex.build(tmp_path / "idx", batches(IDS[:100], DOCS[:100], 40), vocab(N_TERMS), **options)
    csr = CsrIndex.build(tmp_path / "csr", batches(IDS[:100], DOCS[:100], 40), vocab(N_TERMS), fields=RECORDS[:100], show_progress=False)
    first = milvus.collection
    assert milvus.uri == uri and first.startswith("splade_idx_") and client.list_collections() == [first]
    assert not (current_folder(milvus.path) / LITE_FOLDER).exists()
    assert not any(b"s3cret" in f.read_bytes() for f in milvus.path.rglob("*") if f.is_file())
    assert_same(milvus.search(QUERIES, k=10, filter="source != faq"), csr.search(QUERIES, k=10, filter="source != faq"))

    before = milvus.search(QUERIES, k=10)
    new = random_sparse(10, N_TERMS, 25, seed=81, levels=48)
    added = MilvusIndex.add(milvus.path, [([f"n{i}" for i in range(10)], new)], fields=RECORDS[:10], show_progress=False)
    assert added.collection == first and len(added) == 110
    assert_same(milvus.search(QUERIES, k=10), before)  # an older reader skips ids its snapshot does not know
    deleted = MilvusIndex.delete(milvus.path, [before[0].ids[0]])
    assert before[0].ids[0] not in milvus.search(QUERIES[0], k=10)[0].ids  # in place: gone for every reader

    with pytest.raises(InputError, match="the corpus broke"):
        MilvusIndex.build(tmp_path / "idx", failing_batches(), vocab(N_TERMS), **options)
    assert client.list_collections() == [first]  # the failed build's collection was dropped
    second = MilvusIndex.build(tmp_path / "idx", batches(IDS, DOCS, 128), vocab(N_TERMS), uri=uri, show_progress=False)
    assert set(client.list_collections()) == {first, second.collection}  # the replaced one outlives one write
    third = MilvusIndex.build(tmp_path / "idx", batches(IDS, DOCS, 128), vocab(N_TERMS), uri=uri, show_progress=False)
    assert set(client.list_collections()) == {second.collection, third.collection}
    assert_same(third.search(QUERIES, k=10), CsrIndex.build(tmp_path / "all", batches(IDS, DOCS, 128), vocab(N_TERMS), show_progress=False).search(QUERIES, k=10))
    for index in (milvus, added, deleted, second, third):
        index.close()


def test_writes_never_open_the_live_database(tmp_path):
    milvus, _ = build_pair(tmp_path, DOCS[:60], IDS[:60], None)
    lock = current_folder(milvus.path) / LITE_FOLDER / "LOCK"
    milvus.close()
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # a reader in another process (serve) holds the live database
        with MilvusIndex.add(milvus.path, [(["late"], DOCS[60:61])], show_progress=False) as added:
            assert added.search(DOCS[60], k=1)[0].ids == ["late"]
    finally:
        os.close(fd)


def test_documents_without_terms_are_kept_but_never_hit(tmp_path):
    matrix = sp.csr_matrix(np.array([[1, 0, 2], [0, 0, 0], [0, 3, 0]], dtype=np.float32))
    with MilvusIndex.build(tmp_path / "idx", [(["a", "empty", "c"], matrix)], vocab(3), show_progress=False) as index:
        assert len(index) == 3 and index.manifest["milvus"]["rows"] == 2  # Milvus refuses rows without terms
        result = index.search(np.ones(3, np.float32), k=5)[0]
        assert result.ids == ["a", "c"] and result.scores.tolist() == [3.0, 3.0]  # a tie: document order
        assert index.explain(np.ones(3, np.float32), 1) == []


def test_server_gone_is_named_on_first_use(tmp_path):
    from milvus_lite import server_manager_instance

    data = str(tmp_path / "server.db")
    uri = server_manager_instance.start_and_get_uri(data)
    MilvusIndex.build(tmp_path / "idx", iter(BATCHES), ["a", "b"], uri=uri, show_progress=False).close()
    server_manager_instance.release_server(data)
    start = time.perf_counter()
    with pytest.raises(BackendUnavailableError, match=f"Milvus at {uri} failed"):
        SparseIndex.open(tmp_path / "idx").prepare()
    assert time.perf_counter() - start < 10
