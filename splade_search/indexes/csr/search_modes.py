"""The csr backend's search modes beyond ``"exact"``: their lazily built structures and knobs.

- ``"pruned"``: exact results with safe dynamic pruning. With numba (the ``fast`` extra),
  `numba_kernels.maxscore_top_k` (MaxScore over per-term maxima); without it, `pruning`'s numpy
  block-max scorer. Knob ``max_scored`` (default 0.2): when pruning would still score more than
  this share of the query's postings (or blocks), or (numba) the query has too few postings to
  repay estimating its threshold, the query is scored exhaustively instead (the numba dense
  kernel, or the plain scipy path; without numba also any query under a million postings): same
  results, less overhead. ``max_scored=1`` always prunes.
- ``"approximate"``: impact-ordered partial scoring then exact rescoring (`approximate`); knobs
  are the fields of `ApproximateSettings`. Its structure is built on first use per ``list_cut``.

What a mode needs is computed from the postings when the index is prepared for it (`SparseIndex.prepare`,
which `SparseRetriever` calls) or else on its first query, and kept in memory: per-term
maxima (numba path; ~0.2 s per 100 M postings), block maxima (numpy path; ~2.5 s and 0.4 GB per
100 M postings), the approximate structure (two copies of the postings; ~25 s per 100 M, 211 s for 811 M).
Whether numba is used is decided then too (see `fast`).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import numpy as np

from ...errors import InputError
from . import fast
from .approximate import ApproximateIndex, ApproximateSettings
from .blockmax import BlockMaxima, block_maxima, term_maxima
from .pruning import PrunedScorer

if TYPE_CHECKING:
    from ..base import TopK
    from .index import CsrIndex

DEFAULT_MAX_SCORED = 0.2
PAYBACK = 256.0
PLAIN_MIN_POSTINGS = 1_000_000
Result = tuple[np.ndarray, np.ndarray]


class SearchModes:
    """Per-index cache of the structures behind ``"pruned"`` and ``"approximate"`` search."""

    def __init__(self, index: CsrIndex) -> None:
        self._index = index
        self._lock = threading.Lock()
        self._block_maxima: BlockMaxima | None = None
        self._term_maxima: tuple[np.ndarray, bool] | None = None
        self._approximate: dict[int | None, ApproximateIndex] = {}
        self._scorers: dict[Any, TopK] = {}

    def scorer(self, mode: str, knobs: dict[str, Any]) -> TopK:
        """The top-k function ``(terms, query weights, k) -> (doc numbers, scores)`` of ``mode``."""
        key: Any = _max_scored(knobs) if mode == "pruned" else ApproximateSettings.from_knobs(knobs)
        scorer = self._scorers.get(key)
        if scorer is None:
            scorer = self._pruned(key) if mode == "pruned" else self._approximate_scorer(key)
            self._scorers[key] = scorer
        return scorer

    def block_maxima(self) -> BlockMaxima:
        """The block maxima of the postings (computed once)."""
        with self._lock:
            if self._block_maxima is None:
                self._block_maxima = block_maxima(self._index.postings, len(self._index))
            return self._block_maxima

    def term_maxima(self) -> tuple[np.ndarray, bool]:
        """Each term's largest ``|stored weight|``, and whether any stored weight is negative (computed once)."""
        with self._lock:
            if self._term_maxima is None:
                self._term_maxima = term_maxima(self._index.postings)
            return self._term_maxima

    def approximate(self, settings: ApproximateSettings) -> ApproximateIndex:
        """The approximate structure for ``settings.list_cut`` (built once)."""
        with self._lock:
            if settings.list_cut not in self._approximate:
                structure = ApproximateIndex.build(self._index.postings, len(self._index), settings.list_cut)
                self._approximate[settings.list_cut] = structure
            return self._approximate[settings.list_cut]

    def _approximate_scorer(self, settings: ApproximateSettings) -> TopK:
        approximate = self.approximate(settings)
        factors_of = self._index._query_factors
        return lambda terms, weights, k: approximate.top_k(terms, factors_of(weights), k, settings)

    def _pruned(self, max_scored: float) -> TopK:
        index, postings = self._index, self._index.postings
        kernels = fast.kernels(postings.weights.dtype)
        if kernels is None:
            scorer = PrunedScorer(postings, self.block_maxima(), len(index))
            lengths = np.diff(postings.indptr)
            floor = 0 if max_scored >= 1 else PLAIN_MIN_POSTINGS

            def plain(terms: np.ndarray, weights: np.ndarray, k: int) -> Result:
                if lengths[terms].sum() < floor:
                    return index._top_k(terms, weights, k)
                found = scorer.top_k(terms, index._query_factors(weights), k, max_scored)
                return index._top_k(terms, weights, k) if found is None else found

            return plain
        maxima, negative = self.term_maxima()
        indptr, docs, stored = postings
        payback = 0.0 if max_scored >= 1 else PAYBACK
        scratch = threading.local()

        def compiled(terms: np.ndarray, weights: np.ndarray, k: int) -> Result:
            factors = index._query_factors(weights)
            terms = terms.astype(np.int64, copy=False)
            if not hasattr(scratch, "acc"):
                scratch.acc = np.zeros(len(index), dtype=np.float32)
                scratch.stats = np.zeros(4, dtype=np.int64)  # the kernel's counters, unread here; one per thread
            if negative or factors.min() < 0:
                return kernels.dense_top_k(indptr, docs, stored, terms, factors, k, scratch.acc)
            return kernels.maxscore_top_k(
                indptr, docs, stored, maxima, terms, factors, k, max_scored, payback, scratch.stats, scratch.acc
            )

        return compiled


def check_knobs(mode: str, knobs: dict[str, Any]) -> None:
    """Raise `InputError` for knobs that ``"pruned"`` or ``"approximate"`` does not take, or bad values."""
    if mode == "pruned":
        _max_scored(knobs)
    else:
        ApproximateSettings.from_knobs(knobs)


def _max_scored(knobs: dict[str, Any]) -> float:
    unknown = set(knobs) - {"max_scored"}
    if unknown:
        raise InputError(f"search mode 'pruned' takes only max_scored, got {', '.join(sorted(unknown))}")
    value = knobs.get("max_scored", DEFAULT_MAX_SCORED)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise InputError(f"max_scored must be a number between 0 and 1, got {value!r}")
    return float(value)
