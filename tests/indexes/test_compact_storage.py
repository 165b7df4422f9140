"""Compact csr storage: same postings and results as plain storage, kept by updates, damage detected,
blocks decoded on demand through a bounded cache; format 2 folders still read."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from index_data import batches, doc_ids, random_sparse, vocab

from splade_search.errors import IndexFormatError, InputError
from splade_search.indexes import CsrIndex, SparseIndex, manifest
from splade_search.indexes.csr import blocks, compact, varbyte
from splade_search.indexes.generations import current_folder

N_TERMS = 80


def corpus(n_docs: int, seed: int) -> sp.csr_matrix:
    """Random rows plus the awkward cases: a term in every document, terms whose postings are far
    apart, a term only in the last document, and unused (empty) terms from column 70 on."""
    rng = np.random.default_rng(seed)
    docs = sp.lil_matrix(random_sparse(n_docs, 70, 10, seed=seed), dtype=np.float32)
    docs[:, 1] = rng.uniform(0.1, 3.0, size=(n_docs, 1))
    docs[[0, n_docs - 1], 2] = 2.5
    docs[rng.choice(n_docs, size=min(n_docs, 9), replace=False), 3] = 0.7
    docs[n_docs - 1, 4] = 1.25
    return sp.hstack([docs.tocsr(), sp.csr_matrix((n_docs, N_TERMS - 70))], format="csr", dtype=np.float32)


DOCS = corpus(300, seed=7)
QUERIES = sp.vstack([random_sparse(12, N_TERMS, 6, seed=8), sp.csr_matrix(([1.0, 1.0], [1, 2], [0, 2]), shape=(1, N_TERMS))])


def build(path, docs=DOCS, ids=None, **options):
    ids = doc_ids(docs.shape[0]) if ids is None else ids
    return CsrIndex.build(path, batches(ids, docs, 64), vocab(docs.shape[1]), show_progress=False, **options)


def same_results(a, b, mode="exact", queries=QUERIES):
    for x, y in zip(a.search(queries, k=25, mode=mode), b.search(queries, k=25, mode=mode), strict=True):
        assert x.ids == y.ids
        np.testing.assert_array_equal(x.scores, y.scores)


def same_postings(a, b):
    for x, y in zip(a.postings, b.postings, strict=True):
        assert x.dtype == y.dtype
        np.testing.assert_array_equal(x, y)


def rewrite_record(folder: Path, name: str) -> None:
    """Make the manifest agree with a changed file, so only the decoder can notice the damage."""
    folder = current_folder(folder)
    path = folder / "manifest.json"
    record = json.loads(path.read_text())
    data = (folder / name).read_bytes()
    record["files"][name] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    path.write_text(json.dumps(record))


@pytest.fixture(params=[None, 5], ids=["default-block", "block-5"])
def chunk(request, monkeypatch):
    """Also write tiny blocks, so posting lists straddle block boundaries."""
    if request.param:
        monkeypatch.setattr(compact, "BLOCK", request.param)
    return request.param


@pytest.mark.parametrize("quantization", [None, "uint8", "float16", "int8"])
def test_compact_equals_plain(tmp_path, quantization, chunk):
    plain = build(tmp_path / "plain", quantization=quantization)
    built = build(tmp_path / "compact", quantization=quantization, storage="compact")
    opened = SparseIndex.open(tmp_path / "compact")
    assert plain.storage == "plain" and opened.storage == "compact"
    same_postings(plain, built)
    same_postings(plain, opened)
    assert not opened.postings.docs.flags.writeable
    for mode in ("exact", "pruned", "approximate"):
        same_results(plain, opened, mode)
    assert [str(t) for t in plain.explain(QUERIES[0], 5)] == [str(t) for t in opened.explain(QUERIES[0], 5)]
    assert chunk or opened.stats().bytes_on_disk < plain.stats().bytes_on_disk  # 5-posting blocks cost more than they save


def test_large_gaps_and_long_lists(tmp_path):
    rng = np.random.default_rng(3)
    n_docs = 40_000  # gaps of up to 3 variable-byte bytes
    rows = np.concatenate([np.arange(n_docs), [0, n_docs - 1, 17, 20_000, 39_000], rng.integers(0, n_docs, 5000)])
    cols = np.concatenate([np.zeros(n_docs, int), [1, 1, 2, 2, 2], rng.integers(3, 50, 5000)])
    docs = sp.csr_matrix((rng.uniform(0.1, 2, len(rows)), (rows, cols)), shape=(n_docs, 60), dtype=np.float32)
    docs.sum_duplicates()
    ids = [str(i) for i in range(n_docs)]
    queries = sp.csr_matrix(rng.uniform(0.1, 1, (4, 60)) * (rng.random((4, 60)) < 0.3), dtype=np.float32)
    for quantization in (None, "uint8"):
        plain = build(tmp_path / "plain", docs, ids, quantization=quantization)
        opened = SparseIndex.open(build(tmp_path / "compact", docs, ids, quantization=quantization, storage="compact").path)
        same_postings(plain, opened)
        for mode in ("exact", "pruned"):
            same_results(plain, opened, mode, queries)


@pytest.mark.parametrize("values", [[0], [127, 128, 16383, 16384, 2**31 - 1, 2**35, 2**62], list(range(300))])
def test_varbyte_round_trip(values):
    data = np.frombuffer(varbyte.encode(np.array(values)), dtype=np.uint8)
    decoded, used = varbyte.decode(data, Path("x"))
    assert decoded.tolist() == values and used == len(data)
    partial, used = varbyte.decode(data[:-1], Path("x"))
    assert partial.tolist() == values[:-1] and used == len(data) - len(varbyte.encode(np.array(values[-1:])))


def test_add_and_delete_keep_compact_and_equal_a_fresh_build(tmp_path, chunk):
    ids = doc_ids(DOCS.shape[0])
    build(tmp_path / "idx", DOCS[:200], ids[:200], storage="compact")
    added = CsrIndex.add(tmp_path / "idx", batches(ids[200:], DOCS[200:], 30), show_progress=False)
    assert added.storage == "compact"
    fresh = build(tmp_path / "fresh", storage="compact")
    same_postings(fresh, SparseIndex.open(tmp_path / "idx"))
    same_results(fresh, added, "pruned")
    doomed = ids[::3]
    deleted = CsrIndex.delete(tmp_path / "idx", doomed)
    assert deleted.storage == "compact" and not (current_folder(tmp_path / "idx") / "postings_docs.npy").exists()
    keep = [i for i, doc_id in enumerate(ids) if doc_id not in set(doomed)]
    fresh = build(tmp_path / "fresh", DOCS[keep], [ids[i] for i in keep])
    same_postings(fresh, SparseIndex.open(tmp_path / "idx"))
    same_results(fresh, deleted)


def test_add_to_uint8_compact_matches_plain(tmp_path):
    ids = doc_ids(DOCS.shape[0])
    for storage in ("plain", "compact"):
        build(tmp_path / storage, DOCS[:250], ids[:250], quantization="uint8", storage=storage)
        CsrIndex.add(tmp_path / storage, batches(ids[250:], DOCS[250:] * 0.5, 30), show_progress=False)
        CsrIndex.delete(tmp_path / storage, ids[:5])
    same_postings(CsrIndex.open(tmp_path / "plain"), CsrIndex.open(tmp_path / "compact"))


def test_manifest_records_the_layout(tmp_path):
    build(tmp_path / "plain")
    plain = json.loads((current_folder(tmp_path / "plain") / "manifest.json").read_text())
    assert "storage" not in plain and plain["format_version"] == 1  # older readers still open plain indexes
    build(tmp_path / "idx", storage="compact")
    record = json.loads((current_folder(tmp_path / "idx") / "manifest.json").read_text())
    assert record["storage"] == {"layout": "compact", "codec": "zlib-varbyte-blocks", "block": compact.BLOCK}
    assert record["format_version"] == 3
    assert set(compact.FILES) <= set(record["files"]) and "postings_docs.npy" not in record["files"]
    assert SparseIndex.open(tmp_path / "idx").manifest["storage"] == record["storage"]


def test_unknown_layouts_are_refused(tmp_path, monkeypatch):
    with pytest.raises(InputError, match="unknown storage 'zip'"):
        build(tmp_path / "idx", storage="zip")
    build(tmp_path / "idx", storage="COMPACT")
    path = current_folder(tmp_path / "idx") / "manifest.json"
    record = json.loads(path.read_text())
    for storage in ({"layout": "packed"}, {"layout": "compact", "codec": "zstd", "chunk": 5}, "compact"):
        path.write_text(json.dumps({**record, "storage": storage}))
        with pytest.raises(IndexFormatError, match="storage"):
            SparseIndex.open(tmp_path / "idx")
    path.write_text(json.dumps(record))
    for before in (1, 2):  # readers from before compact storage, and before its blocks
        monkeypatch.setattr(manifest, "FORMAT_VERSION", before)
        with pytest.raises(IndexFormatError, match="Upgrade splade-search"):
            SparseIndex.open(tmp_path / "idx")


@pytest.mark.parametrize("name", compact.FILES)
def test_truncated_file_is_detected(tmp_path, name):
    build(tmp_path / "idx", storage="compact")
    target = current_folder(tmp_path / "idx") / name
    target.write_bytes(target.read_bytes()[:-5])
    with pytest.raises(IndexFormatError, match=rf"{name}.*truncated"):
        SparseIndex.open(tmp_path / "idx", verify=False)
    rewrite_record(tmp_path / "idx", name)
    with pytest.raises(IndexFormatError, match=rf"{name}.*(not a readable|size of)|size of {name}"):
        SparseIndex.open(tmp_path / "idx")


@pytest.mark.parametrize("name", compact.FILES)
def test_corrupted_file_is_detected(tmp_path, name):
    build(tmp_path / "idx", storage="compact")
    target = current_folder(tmp_path / "idx") / name
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x5A
    target.write_bytes(bytes(data))
    with pytest.raises(IndexFormatError, match=rf"{name}.*SHA-256"):
        SparseIndex.open(tmp_path / "idx")
    with pytest.raises(IndexFormatError, match=rf"{name}.*rebuild the index"):
        SparseIndex.open(tmp_path / "idx", verify=False).postings  # blocks are checked as they are decoded


def test_data_after_the_stream_is_detected(tmp_path):
    build(tmp_path / "idx", storage="compact")
    target = current_folder(tmp_path / "idx") / blocks.WEIGHTS
    target.write_bytes(target.read_bytes() + b"\x00junk")
    rewrite_record(tmp_path / "idx", blocks.WEIGHTS)
    with pytest.raises(IndexFormatError, match=r"postings_blocks\.npy must run from 0 to the size of postings_weights\.zz"):
        SparseIndex.open(tmp_path / "idx")


def test_cli_storage_option(tmp_path, monkeypatch, tiny_mlm_dir):
    from typer.testing import CliRunner

    from splade_search.cli import app

    monkeypatch.chdir(tmp_path)
    corpus = Path(__file__).resolve().parent.parent / "fixtures" / "docs.jsonl"
    runner = CliRunner()
    for storage in ("plain", "compact"):
        args = ["index", str(corpus), "-m", tiny_mlm_dir, "-o", storage, "--quantization", "uint8", "--storage", storage]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    assert SparseIndex.open(tmp_path / "compact").storage == "compact"
    same_postings(SparseIndex.open(tmp_path / "plain"), SparseIndex.open(tmp_path / "compact"))
    result = runner.invoke(app, ["index", str(corpus), "-m", tiny_mlm_dir, "--backend", "lucene", "--storage", "compact"])
    assert result.exit_code != 0 and "csr backend only" in result.output
