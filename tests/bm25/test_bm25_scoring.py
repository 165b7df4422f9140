"""Lucene's BM25 arithmetic: SmallFloat length norms, idf and document weights."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from splade_search.bm25.scoring import byte_length, document_weights, idf, length_byte

# (length, Lucene's SmallFloat.intToByte4 byte, the length byte4ToInt decodes), from Lucene 9.9
LUCENE_NORMS = [(0, 0, 0), (1, 1, 1), (23, 23, 23), (24, 24, 24), (40, 40, 40), (100, 57, 96), (162, 64, 152),
                (1000, 87, 984), (12345, 116, 12312), (2**31 - 1, 255, 2013265944)]


@pytest.mark.parametrize("length, encoded, decoded", LUCENE_NORMS)
def test_length_norms_match_lucene(length, encoded, decoded):
    assert length_byte(length) == encoded
    assert byte_length(encoded) == decoded


def test_decoded_lengths_are_monotone_and_never_larger():
    lengths = np.arange(0, 5000)
    decoded = np.array([byte_length(length_byte(int(n))) for n in lengths])
    assert (np.diff(decoded) >= 0).all() and (decoded <= lengths).all()


def test_idf_is_lucenes():
    assert idf(np.array([1, 5]), 10) == pytest.approx([math.log(1 + 9.5 / 1.5), math.log(1 + 5.5 / 5.5)], rel=1e-6)


def test_weights_are_the_bm25_formula_with_quantised_lengths():
    dense = np.array([[1, 0, 2], [3, 1, 0], [0, 0, 1], [1, 1, 1], [150, 0, 0]], dtype=np.float32)
    idfs = np.array([0.5, 1.0, 2.0], dtype=np.float32)
    avgdl, k1, b = 30.0, 0.9, 0.4
    weights = document_weights(sp.csr_matrix(dense), idfs, avgdl, k1, b).toarray()
    for d, row in enumerate(dense):
        dl = byte_length(length_byte(int(row.sum())))
        for t, tf in enumerate(row):
            expected = idfs[t] * tf / (tf + k1 * (1 - b + b * dl / avgdl)) if tf else 0.0
            assert weights[d, t] == pytest.approx(expected, rel=1e-6)
    assert byte_length(length_byte(150)) == 144  # the long row really is scored with a quantised length
