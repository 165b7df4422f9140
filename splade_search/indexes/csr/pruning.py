"""Safe dynamic pruning: the exact top-k while scoring only the document blocks that can reach it.

Block-max score-at-a-time (as BMP, Mallia et al. 2024, with its approximation knobs at "exact"):

1. each document block gets an upper bound ``sum_t |q_t| * max_{d in block} |w_{t,d}|`` from the
   query terms' `BlockMaxima` pairs (a sparse matrix-vector product over blocks, not documents);
2. blocks are scored exactly in decreasing bound order, in rounds of growing size; after each
   round the k-th best score ``theta`` is known;
3. the search stops when the next block's bound is below ``theta``: no document in it can enter
   the top-k, and a tie at ``theta`` is still scored (the ranking breaks ties by document number).

Scores are computed exactly as the exhaustive path computes them (the same float32 sparse product,
terms summed in query order), so results are identical: same documents, order and scores. Rounding
cannot break the bound either: ``fl(|q| x max) >= fl(q x w)`` term by term and float32 addition is
monotone; the comparison still keeps a relative slack of ``1e-6`` for safety.

When, after the first round, the blocks that can still reach the top-k are more than
``max_scored`` of the blocks the query touches, pruning cannot pay: `PrunedScorer.top_k` returns
``None`` and the caller scores the query exhaustively (same results). This is the plain numpy
path; with numba, `numba_kernels.maxscore_top_k` is used instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from .blockmax import BlockMaxima
from .postings import Postings
from .ranges import concat_ranges, offsets_of
from ..topk import top_k

_SLACK = 1e-6
_FIRST_ROUND_BLOCKS = 8
_GROWTH = 4


class QueryPairs:
    """One query's view of the `BlockMaxima`: each block's bound, and its terms' pairs by block."""

    def __init__(self, maxima: BlockMaxima, terms: np.ndarray, magnitudes: np.ndarray) -> None:
        self.maxima = maxima
        self.lo, self.hi = maxima.indptr[terms], maxima.indptr[terms + 1]
        pairs = concat_ranges(self.lo, self.hi)
        bounds = sp.csc_matrix(
            (maxima.maxima[pairs], maxima.blocks[pairs], offsets_of(self.hi - self.lo)),
            shape=(maxima.n_blocks, len(terms)),
        )
        self.bounds = bounds @ magnitudes.astype(np.float32)

    def blocks_by_bound(self) -> tuple[np.ndarray, np.ndarray]:
        """Blocks with a positive bound, by decreasing bound (then block number), and their bounds."""
        touched = np.flatnonzero(self.bounds > 0)
        order = touched[np.argsort(-self.bounds[touched], kind="stable")]
        return order, self.bounds[order]

    def pairs_in(self, blocks: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Per query term, its pairs in ``blocks`` (ascending) and the position of each pair's block there."""
        pairs, positions = [], []
        for lo, hi in zip(self.lo.tolist(), self.hi.tolist(), strict=True):
            listed = self.maxima.blocks[lo:hi]
            at = np.minimum(np.searchsorted(listed, blocks), max(hi - lo - 1, 0))
            found = np.flatnonzero(listed[at] == blocks) if hi > lo else np.empty(0, np.int64)
            pairs.append(lo + at[found])
            positions.append(found)
        return pairs, positions


class PrunedScorer:
    """Exact top-k over term-major postings with block-max pruning (plain numpy/scipy)."""

    def __init__(self, postings: Postings, maxima: BlockMaxima, n_docs: int) -> None:
        self.postings = postings
        self.maxima = maxima
        self.n_docs = n_docs

    def top_k(
        self,
        terms: np.ndarray,
        factors: np.ndarray,
        k: int,
        max_scored: float = 1.0,
        stats: dict[str, Any] | None = None,
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Doc numbers and float32 scores of the best ``k`` non-zero-scored documents.

        ``factors``: the query weights as they multiply stored weights (dequantization folded in).
        Returns ``None`` when more than ``max_scored`` of the blocks would be scored (see the module
        docstring). ``stats``, when given, receives the blocks and postings scored.
        """
        query = QueryPairs(self.maxima, terms, np.abs(factors))
        order, bounds = query.blocks_by_bound()
        best_docs, best_scores = np.empty(0, np.int64), np.empty(0, np.float32)
        done, size, scored_postings = 0, max(_FIRST_ROUND_BLOCKS, -(-2 * k // self.maxima.block_size)), 0
        while done < len(order):
            reachable = _last_reachable(bounds, best_scores, k)
            if done and reachable > max_scored * len(order):
                return None
            end = min(done + size, reachable)
            if end <= done:
                break
            docs, scores, n_postings = self._score_blocks(query, order[done:end], factors)
            best_docs, best_scores = top_k(np.concatenate([best_docs, docs]), np.concatenate([best_scores, scores]), k)
            done, size, scored_postings = end, size * _GROWTH, scored_postings + n_postings
        if stats is not None:
            stats.update(blocks=len(order), blocks_scored=done, postings_scored=scored_postings)
        return best_docs, best_scores

    def _score_blocks(
        self, query: QueryPairs, blocks: np.ndarray, factors: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, int]:
        """Exact non-zero scores of every document in ``blocks`` (block numbers)."""
        size = self.maxima.block_size
        blocks = np.sort(blocks)
        pair_lists, position_lists = query.pairs_in(blocks)
        pairs, positions = np.concatenate(pair_lists), np.concatenate(position_lists)
        lo, hi = self.maxima.starts[pairs], self.maxima.starts[pairs + 1]
        where = concat_ranges(lo, hi)
        shift = np.repeat((positions - blocks[positions].astype(np.int64)) * size, hi - lo)
        per_term = [int(np.sum(hi[a:b] - lo[a:b])) for a, b in _runs([len(p) for p in pair_lists])]
        matrix = sp.csc_matrix(
            (self.postings.weights[where].astype(np.float32, copy=False), self.postings.docs[where] + shift,
             offsets_of(np.array(per_term, dtype=np.int64))),
            shape=(len(blocks) * size, len(factors)),
        )
        scores = matrix @ factors
        hits = np.flatnonzero(scores)
        numbers = blocks[hits // size].astype(np.int64) * size + hits % size
        return numbers, scores[hits], len(where)


def _runs(lengths: list[int]) -> list[tuple[int, int]]:
    """``[start, end)`` of consecutive runs of ``lengths``."""
    ends = np.cumsum(lengths).tolist()
    return list(zip([0, *ends[:-1]], ends, strict=True))


def _last_reachable(bounds: np.ndarray, best_scores: np.ndarray, k: int) -> int:
    """How many blocks (by decreasing bound) may still hold a top-``k`` document."""
    if len(best_scores) < k or best_scores[-1] <= 0:
        return len(bounds)
    theta = float(best_scores[-1]) * (1.0 - _SLACK)
    return int(np.searchsorted(-bounds, -theta, side="right"))
