"""Compact postings in blocks: exact search decodes only the blocks it needs, the cache stays bounded,
and folders of format 2 (one zlib stream per file, decoded on open) are still read and rewritten in blocks."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from index_data import batches, doc_ids, random_sparse, vocab

from splade_search.indexes import CsrIndex, SparseIndex
from splade_search.indexes.csr import blocks, compact, compact_v2, varbyte
from splade_search.indexes.generations import current_folder
from splade_search.indexes.manifest import file_record

N_DOCS, N_TERMS = 400, 60
DOCS = random_sparse(N_DOCS, N_TERMS, 12, seed=5)
QUERIES = random_sparse(8, N_TERMS, 5, seed=6)


def build(path: Path, **options) -> CsrIndex:
    return CsrIndex.build(path, batches(doc_ids(N_DOCS), DOCS, 50), vocab(N_TERMS), show_progress=False, **options)


def test_exact_search_decodes_only_its_blocks_within_the_cache_bound(tmp_path, monkeypatch):
    monkeypatch.setattr(compact, "BLOCK", 64)
    plain = build(tmp_path / "plain", quantization="uint8")
    opened = SparseIndex.open(build(tmp_path / "compact", quantization="uint8", storage="compact").path)
    rare = sp.csr_matrix(([1.0], [N_TERMS - 1], [0, 1]), shape=(1, N_TERMS))  # Zipf: the last term is rare
    assert opened.search(rare, k=5)[0].ids == plain.search(rare, k=5)[0].ids
    assert 0 < opened._blocks.cached_bytes <= 2 * 64 * 5  # one or two 64-posting blocks (4-byte docs, 1-byte weights)
    monkeypatch.setattr(blocks, "CACHE_BYTES", 1000)
    for got, want in zip(opened.search(QUERIES, k=10), plain.search(QUERIES, k=10), strict=True):
        assert got.ids == want.ids
        np.testing.assert_array_equal(got.scores, want.scores)
    assert opened._blocks.cached_bytes <= 1000 and opened._docs is None  # never decoded whole
    assert [str(t) for t in opened.explain(QUERIES[0], 3)] == [str(t) for t in plain.explain(QUERIES[0], 3)]
    same = opened.search(QUERIES, k=10, mode="pruned")  # needs whole arrays: decoded once
    assert opened._docs is not None and [h.ids for h in same] == [h.ids for h in plain.search(QUERIES, k=10)]


def write_format_2(folder: Path, index: CsrIndex) -> None:
    """Rewrite a compact index's postings the way format 2 did: three zlib streams, decoded on open."""
    postings, manifest = index.postings, json.loads((folder / "manifest.json").read_text())
    lengths = np.diff(postings.indptr)
    docs = postings.docs.astype(np.int64)
    previous = np.concatenate([[-1], docs[:-1]])
    previous[postings.indptr[:-1][lengths > 0]] = -1
    little = postings.weights.dtype.newbyteorder("<")
    planes = postings.weights.astype(little).view(np.uint8).reshape(-1, little.itemsize).T.tobytes()
    streams = {compact_v2.LENGTHS: varbyte.encode(lengths), compact_v2.DOCS: varbyte.encode(docs - previous - 1),
               compact_v2.WEIGHTS: planes}
    for name in compact.FILES:
        (folder / name).unlink()
        del manifest["files"][name]
    for name, data in streams.items():
        (folder / name).write_bytes(zlib.compress(data))
        manifest["files"][name] = file_record(folder / name)
    manifest["storage"] = {"layout": "compact", "codec": compact_v2.CODEC, "chunk": len(postings.docs)}
    manifest["format_version"] = 2
    (folder / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize("quantization", [None, "float16"])
def test_format_2_folders_are_read_and_rewritten_in_blocks(tmp_path, quantization):
    plain = build(tmp_path / "plain", quantization=quantization)
    old = build(tmp_path / "old", quantization=quantization, storage="compact")
    write_format_2(current_folder(old.path), old)
    opened = SparseIndex.open(old.path)
    assert opened._blocks is None and opened.manifest["format_version"] == 2
    for got, want in zip(opened.postings, plain.postings, strict=True):
        np.testing.assert_array_equal(got, want)
    assert [h.ids for h in opened.search(QUERIES, k=10)] == [h.ids for h in plain.search(QUERIES, k=10)]
    updated = CsrIndex.delete(old.path, doc_ids(N_DOCS)[:3])
    assert updated.manifest["storage"]["codec"] == compact.CODEC and updated.manifest["format_version"] == 3
    np.testing.assert_array_equal(updated.postings.docs, CsrIndex.delete(plain.path, doc_ids(N_DOCS)[:3]).postings.docs)
