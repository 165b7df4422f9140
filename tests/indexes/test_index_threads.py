"""Searching one opened index from several threads gives the serial results."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from index_data import batches, doc_ids, random_sparse, vocab

from splade_search.indexes import CsrIndex


def test_concurrent_searches_match_serial(tmp_path):
    docs = random_sparse(3000, 400, 40, seed=21)
    queries = random_sparse(200, 400, 10, seed=22)
    index = CsrIndex.build(tmp_path / "idx", batches(doc_ids(3000), docs, 1000), vocab(400), show_progress=False)
    serial = [index.search(queries[i], k=10)[0] for i in range(queries.shape[0])]
    with ThreadPoolExecutor(8) as pool:
        single = list(pool.map(lambda i: index.search(queries[i], k=10)[0], range(queries.shape[0])))
        batched = list(pool.map(lambda s: index.search(queries[s : s + 20], k=10, threads=4), range(0, 200, 20)))
    batched = [result for chunk in batched for result in chunk]
    for expected, got_single, got_batched in zip(serial, single, batched, strict=True):
        assert expected.ids == got_single.ids == got_batched.ids
        np.testing.assert_array_equal(expected.scores, got_single.scores)
        np.testing.assert_array_equal(expected.scores, got_batched.scores)
