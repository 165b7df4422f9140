"""Lucene's BM25 (``BM25Similarity`` of Lucene 9, as Anserini 1.7 uses it), as precomputed term weights.

Lucene scores a query term ``t`` in document ``d`` as ``boost x idf(t) x tf / (tf + k1 x (1 - b + b x
dl / avgdl))`` (no ``k1 + 1`` factor since Lucene 8; ranks are the same), with
``idf = ln(1 + (N - df + 0.5) / (df + 0.5))``, ``N`` the documents that have at least one term,
``avgdl`` their mean length, and the query term's count as ``boost`` (Anserini's bag-of-words query).
Lucene does not keep ``dl`` itself: it stores one byte per document (``SmallFloat.intToByte4``:
exact below 24 terms, then 4 significant bits) and scores with the length that byte decodes to. The
weights here do the same, in float32 as Lucene does, so a BM25 score is the dot product of the query's
term counts with these weights and matches Lucene's to float rounding.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

_MAX_INT4 = 231  # SmallFloat.longToInt4(Integer.MAX_VALUE)
_FREE_VALUES = 255 - _MAX_INT4  # lengths below this are stored exactly


def long_to_int4(value: int) -> int:
    """Lucene's ``SmallFloat.longToInt4``: a positive integer kept to 4 significant bits, in 8 bits."""
    bits = value.bit_length()
    if bits < 4:
        return value
    shift = bits - 4
    return ((value >> shift) & 0x07) | ((shift + 1) << 3)


def int4_to_long(encoded: int) -> int:
    """Lucene's ``SmallFloat.int4ToLong``: the integer `long_to_int4` rounded down to."""
    bits, shift = encoded & 0x07, (encoded >> 3) - 1
    return bits if shift == -1 else (bits | 0x08) << shift


def length_byte(length: int) -> int:
    """The norm byte Lucene stores for a document of ``length`` terms (``SmallFloat.intToByte4``)."""
    if length < _FREE_VALUES:
        return length
    return _FREE_VALUES + long_to_int4(length - _FREE_VALUES)


def byte_length(encoded: int) -> int:
    """The document length Lucene scores with for a norm byte (``SmallFloat.byte4ToInt``)."""
    if encoded < _FREE_VALUES:
        return encoded
    return _FREE_VALUES + int4_to_long(encoded - _FREE_VALUES)


LENGTH_TABLE = np.array([byte_length(i) for i in range(256)], dtype=np.float32)


def quantized_lengths(lengths: np.ndarray) -> np.ndarray:
    """Each document length as Lucene scores it (rounded down through its norm byte), as float32."""
    unique, positions = np.unique(np.asarray(lengths, dtype=np.int64), return_inverse=True)
    codes = np.array([length_byte(int(n)) for n in unique], dtype=np.int64)
    return LENGTH_TABLE[codes[positions.ravel()]]


def idf(df: np.ndarray, num_docs: int) -> np.ndarray:
    """Lucene's BM25 idf per term, float32: ``ln(1 + (N - df + 0.5) / (df + 0.5))``."""
    df = np.asarray(df, dtype=np.float64)
    return np.log1p((num_docs - df + 0.5) / (df + 0.5)).astype(np.float32)


def document_weights(counts: sp.csr_matrix, idfs: np.ndarray, avgdl: float, k1: float, b: float) -> sp.csr_matrix:
    """BM25 weight of every (document, term) of ``counts`` (term frequencies, one row per document).

    A document's length is its total count, quantised as Lucene stores it; the weight is Lucene's
    ``idf - idf / (1 + tf x normInverse)`` with ``normInverse = 1 / (k1 x (1 - b + b x dl / avgdl))``,
    all in float32.
    """
    counts = sp.csr_matrix(counts)
    k1_, b_, avgdl_ = np.float32(k1), np.float32(b), np.float32(avgdl)
    lengths = np.asarray(counts.sum(axis=1)).ravel().astype(np.int64)
    norm_inverse = np.float32(1) / (k1_ * ((np.float32(1) - b_) + b_ * quantized_lengths(lengths) / avgdl_))
    rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
    tf = counts.data.astype(np.float32)
    term_idf = idfs[counts.indices]
    weights = term_idf - term_idf / (np.float32(1) + tf * norm_inverse[rows])
    result = sp.csr_matrix((weights.astype(np.float32), counts.indices.copy(), counts.indptr.copy()), shape=counts.shape)
    result.has_canonical_format = counts.has_canonical_format
    return result
