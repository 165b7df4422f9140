"""The bounded-memory csr build: sorted runs on disk merged into the very files a one-run build writes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from index_data import batches, doc_ids, random_sparse, vocab

from splade_search.errors import InputError
from splade_search.indexes import CsrIndex
from splade_search.indexes.csr import compact, runs
from splade_search.indexes.csr.postings import Postings, from_doc_major, keep, pieces, term_ranges, to_doc_major
from splade_search.indexes.csr.quantization import quantize
from splade_search.indexes.generations import current_folder
from splade_search.indexes.storage import ArrayAppender

N_TERMS = 120


def corpus(seed: int) -> sp.csr_matrix:
    """Random rows, a term in every document, negative weights and weights that int8 rounds to zero."""
    docs = random_sparse(500, N_TERMS, 14, seed=seed).tolil()
    docs[:, 5] = 0.5
    docs[::7, 6] = -1.5
    docs[::11, 7] = 1e-8
    return docs.tocsr()


DOCS = corpus(seed=3)


def build(path: Path, quantization: str | None, storage: str, docs: sp.csr_matrix = DOCS, **options) -> CsrIndex:
    ids = doc_ids(docs.shape[0])
    return CsrIndex.build(path, batches(ids, docs, 37), vocab(N_TERMS), show_progress=False,
                          quantization=quantization, storage=storage, **options)


def generation(index_path: Path) -> dict[str, bytes]:
    """Every file of the live generation but the manifest's timestamp, by name."""
    folder = current_folder(index_path)
    files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    manifest = json.loads(files.pop("manifest.json"))
    manifest.pop("created_at")
    files["manifest"] = json.dumps(manifest, sort_keys=True).encode()
    return files


@pytest.fixture
def tiny_runs(monkeypatch):
    """Runs of ~300 postings merged ~200 at a time, compact blocks of 50: a 500-document corpus makes ~14 runs."""
    monkeypatch.setattr(runs, "RUN_POSTINGS", 300)
    monkeypatch.setattr(runs, "MERGE_POSTINGS", 200)
    monkeypatch.setattr(compact, "BLOCK", 50)


@pytest.mark.parametrize(("quantization", "storage"), [(None, "plain"), ("int8", "plain"), ("float16", "compact"), ("int8", "compact")])
def test_many_runs_write_the_same_files_as_one(tmp_path, monkeypatch, tiny_runs, quantization, storage):
    many = build(tmp_path / "many", quantization, storage)
    monkeypatch.setattr(runs, "RUN_POSTINGS", 10**9)
    monkeypatch.setattr(runs, "MERGE_POSTINGS", 10**9)
    one = build(tmp_path / "one", quantization, storage)
    assert generation(tmp_path / "many") == generation(tmp_path / "one")
    stored, recipe = quantize(from_doc_major(DOCS).weights, quantization)
    reference = from_doc_major(DOCS)
    reference = keep(reference._replace(weights=stored), stored != 0)  # the build before runs existed
    assert many.quantization == recipe
    for got, want in zip(many.postings, reference, strict=True):
        np.testing.assert_array_equal(got, want)
    assert one.manifest["num_postings"] == len(reference.docs)
    assert (len(reference.docs) < DOCS.nnz) == (quantization is not None)  # int8 and float16 store 1e-8 as 0


def test_runs_spill_into_the_new_generation_and_are_gone_after(tmp_path, tiny_runs):
    root, seen = tmp_path / "index", []

    def watched():
        for number, batch in enumerate(batches(doc_ids(DOCS.shape[0]), DOCS, 37)):
            if number == 6:
                seen.extend(p.relative_to(root).as_posix() for p in root.glob(".gen-*/runs/*"))
            yield batch

    index = CsrIndex.build(root, watched(), vocab(N_TERMS), show_progress=False)
    assert any(name.endswith(".docs") for name in seen) and any(name.endswith(".weights") for name in seen)
    assert sorted(p.name for p in root.iterdir()) == ["CURRENT", "gen-000001", "write.lock"]
    assert not (index.folder / "runs").exists()


def test_an_interrupted_build_leaves_the_old_index_and_no_runs(tmp_path, tiny_runs):
    root = tmp_path / "index"
    before = generation(root) if build(root, None, "plain") else None

    def broken():
        yield from batches(doc_ids(300), DOCS[:300], 37)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        CsrIndex.build(root, broken(), vocab(N_TERMS), show_progress=False)
    assert generation(root) == before
    assert sorted(p.name for p in root.iterdir()) == ["CURRENT", "gen-000001", "write.lock"]
    with pytest.raises(InputError, match="uint8"):
        build(root, "uint8", "plain")  # refused once the runs are written: nothing published either
    assert generation(root) == before and len(list(root.iterdir())) == 3


def test_empty_documents_and_one_huge_term(tmp_path, tiny_runs):
    docs = sp.lil_matrix((400, N_TERMS), dtype=np.float32)
    docs[:, 9] = 1.0  # 400 postings: more than a run and a merge range
    docs[::3, 2] = 2.0
    docs = docs.tocsr()
    index = CsrIndex.build(tmp_path / "i", batches(doc_ids(400), docs, 37), vocab(N_TERMS), show_progress=False)
    np.testing.assert_array_equal(index.postings.indptr, from_doc_major(docs).indptr)
    assert index.search(sp.csr_matrix(([1.0], [2], [0, 1]), shape=(1, N_TERMS)), k=3)[0].ids == doc_ids(400)[0:9:3]


@pytest.mark.parametrize("dtype", [np.int32, np.float16, np.uint8, np.int64])
@pytest.mark.parametrize("split", [[], [0], [3, 0, 4], [7, 1]])
def test_array_appender_matches_numpy_save(tmp_path, dtype, split):
    values = np.arange(sum(split), dtype=dtype)
    writer = ArrayAppender(tmp_path / "a.npy", np.dtype(dtype))
    for part in np.split(values, np.cumsum(split)[:-1]) if split else []:
        writer.append(part)
    writer.close()
    expected = io.BytesIO()
    np.save(expected, values, allow_pickle=False)
    assert (tmp_path / "a.npy").read_bytes() == expected.getvalue()


def test_term_ranges_and_pieces_cover_every_term_once():
    postings = from_doc_major(DOCS)
    for size in (1, 40, 333, 10**6):
        bounds = term_ranges(postings.indptr, size)
        assert bounds[0] == 0 and bounds[-1] == N_TERMS and np.all(np.diff(bounds) > 0)
        sizes = np.diff(postings.indptr[bounds])
        assert np.all((sizes <= size) | (np.diff(bounds) == 1))
        joined = list(pieces(postings, size))
        np.testing.assert_array_equal(np.concatenate([p.docs for p in joined]), postings.docs)
        np.testing.assert_array_equal(np.concatenate([np.diff(p.indptr) for p in joined]), np.diff(postings.indptr))
    assert isinstance(joined[0], Postings)


@pytest.mark.parametrize("dtype", [np.float32, np.int8])
def test_to_doc_major_in_pieces_is_the_transpose(dtype):
    docs = DOCS.astype(dtype)
    docs.data[::7] = -docs.data[::7]
    for size in (1, 37, 10**9):
        forward = to_doc_major(from_doc_major(docs), docs.shape[0], size=size)
        np.testing.assert_array_equal(forward.indptr, docs.indptr)
        np.testing.assert_array_equal(forward.docs, docs.indices)  # each document's term numbers, ascending
        np.testing.assert_array_equal(forward.weights, docs.data)
        assert forward.weights.dtype == dtype
