"""Per-block upper bounds of posting weights: the index behind safe dynamic pruning (`pruning`).

Documents are cut into blocks of ``block_size`` consecutive document numbers. For every term and
every block that holds at least one of the term's postings there is one *pair*: its block number,
the largest ``|stored weight|`` of the term in that block, and where its postings start. Pairs are
term-major like the postings (term ``t``'s pairs are ``indptr[t]:indptr[t + 1]``, by ascending
block) and the postings of pair ``p`` are ``starts[p]:starts[p + 1]``, since pairs tile the posting
arrays in order. Built in one vectorised pass over the postings, term range by term range.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ...errors import InputError
from .postings import Postings

DEFAULT_BLOCK_SIZE = 128
_CHUNK_POSTINGS = 1 << 24


class BlockMaxima(NamedTuple):
    """The pairs of a posting index cut into document blocks (see the module docstring)."""

    block_size: int
    n_blocks: int
    indptr: np.ndarray  # int64, n_terms + 1: each term's first pair
    blocks: np.ndarray  # int32, n_pairs: block number of each pair
    maxima: np.ndarray  # float32, n_pairs: largest |stored weight| of the term in the block
    starts: np.ndarray  # int64, n_pairs + 1: first posting of each pair, then the posting count

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays."""
        return sum(a.nbytes for a in (self.indptr, self.blocks, self.maxima, self.starts))


def block_maxima(postings: Postings, n_docs: int, block_size: int = DEFAULT_BLOCK_SIZE) -> BlockMaxima:
    """The block maxima of ``postings`` (documents ``0 .. n_docs - 1``) for blocks of ``block_size``."""
    if block_size < 1:
        raise InputError(f"block_size must be positive, got {block_size}")
    indptr = np.asarray(postings.indptr, dtype=np.int64)
    n_blocks = max(1, -(-n_docs // block_size))
    blocks, maxima, starts = [], [], []
    for lo, hi in _term_chunks(indptr):
        first, last = int(indptr[lo]), int(indptr[hi])
        block = (np.asarray(postings.docs[first:last]) // block_size).astype(np.int32)
        is_start = np.empty(len(block), dtype=bool)
        is_start[:1] = True
        np.not_equal(block[1:], block[:-1], out=is_start[1:])
        is_start[indptr[lo:hi][np.diff(indptr[lo : hi + 1]) > 0] - first] = True
        offsets = np.flatnonzero(is_start)
        weights = np.abs(np.asarray(postings.weights[first:last]).astype(np.float32))
        blocks.append(block[offsets])
        maxima.append(np.maximum.reduceat(weights, offsets) if len(offsets) else weights[:0])
        starts.append(offsets + first)
    all_starts = np.concatenate([*starts, indptr[-1:]])
    pair_indptr = np.searchsorted(all_starts[:-1], indptr).astype(np.int64)
    return BlockMaxima(
        block_size, n_blocks, pair_indptr, np.concatenate(blocks), np.concatenate(maxima), all_starts.astype(np.int64)
    )


def term_maxima(postings: Postings) -> tuple[np.ndarray, bool]:
    """Each term's largest ``|stored weight|`` (float32, 0 for unused terms) and whether any weight is negative."""
    indptr = np.asarray(postings.indptr, dtype=np.int64)
    maxima = np.zeros(len(indptr) - 1, dtype=np.float32)
    negative = False
    for lo, hi in _term_chunks(indptr):
        first, last = int(indptr[lo]), int(indptr[hi])
        weights = np.asarray(postings.weights[first:last]).astype(np.float32)
        used = np.flatnonzero(np.diff(indptr[lo : hi + 1]) > 0)
        if len(used):
            maxima[lo + used] = np.maximum.reduceat(np.abs(weights), indptr[lo + used] - first)
            negative = negative or bool(weights.min() < 0)
    return maxima, negative


def _term_chunks(indptr: np.ndarray) -> list[tuple[int, int]]:
    """Term ranges ``[lo, hi)`` holding about ``_CHUNK_POSTINGS`` postings each (bounds peak memory)."""
    n_terms = len(indptr) - 1
    cuts = np.searchsorted(indptr, np.arange(0, int(indptr[-1]), _CHUNK_POSTINGS), side="right") - 1
    bounds = sorted({0, n_terms, *np.clip(cuts, 0, n_terms).tolist()})
    return [(lo, hi) for lo, hi in zip(bounds[:-1], bounds[1:], strict=False) if hi > lo]
