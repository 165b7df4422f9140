"""Approximate search for the csr backend: impact-ordered partial scores, then exact rescoring.

Structure (`ApproximateIndex`, built in memory on first use for each ``list_cut``):

- *impact lists*: each term's postings by decreasing ``|weight|`` (ties: document number), cut
  to the term's ``list_cut`` heaviest postings (Seismic's posting-list cut), split into *tiers*
  of geometrically growing size (16, 20, 25, ... postings); each tier is re-sorted by document
  number, so summing a tier walks the score array forward (out-of-order access costs more);
- a *forward index*: the postings document by document, to rescore candidates exactly.

Search (score-at-a-time over impact-ordered lists, with Seismic-style knobs):

1. query-term pruning: only the ``query_cut`` heaviest query terms gather candidates;
2. one impact threshold ``tau`` is set so that the tiers whose heaviest impact ``|q_t| max|w|``
   reaches ``tau`` hold about ``budget`` of the postings exhaustive search would score (bisection
   on ``tau``; each term contributes whole tiers from the head of its list); their postings are
   summed into partial scores;
3. the ``rerank`` documents with the best partial scores are rescored exactly with every query
   term (forward index, float32 products summed in term order: the plain path's scores) and the
   top-k of them is returned.

Hits therefore carry exact scores; only recall is approximate. ``budget=1``, ``rerank=None``
(rescore every candidate), ``query_cut=None`` and ``list_cut=None`` give the exact results (for
non-negative weights). The numba kernel (`numba_kernels.impact_top_k`) and the numpy path here
run the same algorithm (their partial scores may round differently, so near-ties in the
candidate cut can differ). Memory: the impact lists and the forward index are one extra copy
of the postings each (less with ``list_cut``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, fields
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp

from ...errors import InputError
from . import fast
from .postings import Postings, to_doc_major
from .ranges import concat_ranges, offsets_of
from ..topk import top_k

_BISECTION_STEPS = 40
_FIRST_TIER = 16
_TIER_GROWTH = 1.25


@dataclass(frozen=True)
class ApproximateSettings:
    """Knobs of ``mode="approximate"`` (pass them to ``search`` as keywords).

    - ``budget``: share, in (0, 1], of the exhaustive search's postings summed into partial scores.
    - ``rerank``: documents rescored exactly (``None``: every candidate).
    - ``query_cut``: heaviest query terms that gather candidates (``None``: all).
    - ``list_cut``: heaviest postings kept per term in the impact lists (``None``: all; build setting).
    """

    budget: float = 0.15
    rerank: int | None = 300
    query_cut: int | None = None
    list_cut: int | None = None

    @classmethod
    def from_knobs(cls, knobs: dict[str, Any]) -> ApproximateSettings:
        """Settings from ``search`` keyword arguments; `InputError` for unknown or invalid values."""
        names = [f.name for f in fields(cls)]
        unknown = sorted(set(knobs) - set(names))
        if unknown:
            raise InputError(f"search mode 'approximate' takes {', '.join(names)}; got {', '.join(unknown)}")
        settings = cls(**knobs)
        for name in ("rerank", "query_cut", "list_cut"):
            value = getattr(settings, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1):
                raise InputError(f"{name} must be a positive integer or None, got {value!r}")
        budget = settings.budget
        if isinstance(budget, bool) or not isinstance(budget, (int, float)) or not 0 < budget <= 1:
            raise InputError(f"budget must be a number in (0, 1], got {budget!r}")
        return settings


class Tiers(NamedTuple):
    """Tiers of the impact lists: term ``t``'s are ``indptr[t]:indptr[t + 1]``, heaviest first."""

    indptr: np.ndarray  # int64, n_terms + 1
    ends: np.ndarray  # int64: impact-list position where each tier ends
    maxima: np.ndarray  # float32: largest |weight| in each tier


class ApproximateIndex:
    """Tiered impact lists and a forward index of one posting index (see the module docstring)."""

    def __init__(self, impact: Postings, tiers: Tiers, forward: Postings, n_docs: int, full_lengths: np.ndarray) -> None:
        self.impact = impact
        self.tiers = tiers
        self.forward = forward  # indptr per document, term ids, stored weights
        self.n_docs = n_docs
        self.full_lengths = full_lengths
        self._scratch = threading.local()

    @classmethod
    def build(cls, postings: Postings, n_docs: int, list_cut: int | None) -> ApproximateIndex:
        """Impact-order, cut and tier each term's list, and transpose the postings into a forward index.

        Memory: the two structures, plus one term's (for the transpose, one document range's) temporaries.
        """
        indptr = np.asarray(postings.indptr)
        lengths = np.diff(indptr)
        kept = lengths if list_cut is None else np.minimum(lengths, list_cut)
        starts = offsets_of(kept)
        impact_docs = np.empty(int(starts[-1]), dtype=np.asarray(postings.docs[:0]).dtype)
        impact_weights = np.empty(int(starts[-1]), dtype=np.asarray(postings.weights[:0]).dtype)
        tier_sizes = [np.empty(0, np.int64)] * len(lengths)
        maxima = [np.empty(0, np.float32)] * len(lengths)
        for term in np.flatnonzero(kept).tolist():
            lo, hi, size = int(indptr[term]), int(indptr[term + 1]), int(kept[term])
            docs, weights = np.asarray(postings.docs[lo:hi]), np.asarray(postings.weights[lo:hi])
            magnitudes = np.abs(weights.astype(np.float32))
            order = np.argsort(-magnitudes, kind="stable")[:size]
            sizes = _tier_sizes(size)
            tier_of = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
            local = np.sort((tier_of << 40) | order) & ((1 << 40) - 1)  # each tier in document order
            impact_docs[starts[term] : starts[term + 1]] = docs[local]
            impact_weights[starts[term] : starts[term + 1]] = weights[local]
            tier_sizes[term] = sizes
            maxima[term] = np.maximum.reduceat(magnitudes[local], offsets_of(sizes)[:-1])
        counts = np.array([len(sizes) for sizes in tier_sizes], dtype=np.int64)
        ends = np.repeat(starts[:-1], counts) + np.concatenate([np.cumsum(sizes) for sizes in tier_sizes])
        tiers = Tiers(offsets_of(counts), ends, np.concatenate(maxima).astype(np.float32))
        impact = Postings(starts, impact_docs, impact_weights)
        return cls(impact, tiers, to_doc_major(postings, n_docs), n_docs, lengths)

    def top_k(
        self, terms: np.ndarray, factors: np.ndarray, k: int, settings: ApproximateSettings
    ) -> tuple[np.ndarray, np.ndarray]:
        """Doc numbers and exact float32 scores of the hits found, best first."""
        active = np.flatnonzero(factors)
        if settings.query_cut is not None and settings.query_cut < len(active):
            active = active[np.argsort(-np.abs(factors[active]), kind="stable")[: settings.query_cut]]
        budget = int(np.ceil(settings.budget * self.full_lengths[terms].sum()))
        rerank = -1 if settings.rerank is None else int(settings.rerank)
        kernels = fast.kernels(self.impact.weights.dtype)
        if kernels is None:
            return self._top_k_numpy(terms, factors, np.sort(active), k, budget, rerank)
        acc, dense = self._buffers()
        dense[terms] = factors
        try:
            return kernels.impact_top_k(
                *self.impact, *self.tiers, *self.forward, terms.astype(np.int64), factors, np.sort(active), k,
                budget, rerank, dense, acc,
            )
        finally:
            dense[terms] = 0

    def _buffers(self) -> tuple[np.ndarray, np.ndarray]:
        """This thread's zeroed scratch arrays: partial scores per document, query factor per term."""
        if not hasattr(self._scratch, "acc"):
            self._scratch.acc = np.zeros(self.n_docs, dtype=np.float32)
            self._scratch.dense = np.zeros(len(self.impact.indptr) - 1, dtype=np.float32)
        return self._scratch.acc, self._scratch.dense

    def _top_k_numpy(
        self, terms: np.ndarray, factors: np.ndarray, active: np.ndarray, k: int, budget: int, rerank: int
    ) -> tuple[np.ndarray, np.ndarray]:
        lo = self.impact.indptr[terms[active]]
        magnitudes = np.abs(factors[active]).astype(np.float64)
        prefix = _prefixes(self.tiers, terms[active], lo, magnitudes, budget)
        where = concat_ranges(lo, lo + prefix)
        contributions = self.impact.weights[where].astype(np.float32) * np.repeat(factors[active], prefix)
        candidates, inverse = np.unique(self.impact.docs[where], return_inverse=True)
        partial = np.bincount(inverse, weights=contributions, minlength=len(candidates))
        keep = partial != 0
        candidates, partial = candidates[keep], partial[keep]
        if 0 <= rerank < len(candidates):
            candidates = np.sort(candidates[np.argpartition(-partial, rerank - 1)[:rerank]])
        dense = np.zeros(len(self.impact.indptr) - 1, dtype=np.float32)
        dense[terms] = factors
        rows_lo, rows_hi = self.forward.indptr[candidates], self.forward.indptr[candidates + 1]
        rows = concat_ranges(rows_lo, rows_hi)
        matrix = sp.csr_matrix(
            (self.forward.weights[rows].astype(np.float32), self.forward.docs[rows], offsets_of(rows_hi - rows_lo)),
            shape=(len(candidates), len(dense)),
        )
        scores = matrix @ dense
        hits = np.flatnonzero(scores)
        return top_k(candidates[hits].astype(np.int64), scores[hits], k)


def _tier_sizes(length: int) -> np.ndarray:
    """Sizes of the tiers of an impact list of ``length`` postings (16, 20, 25, ..., the rest)."""
    sizes, total, size = [], 0, float(_FIRST_TIER)
    while total < length:
        sizes.append(min(int(size), length - total))
        total += sizes[-1]
        size *= _TIER_GROWTH
    return np.array(sizes, dtype=np.int64)


def _prefixes(tiers: Tiers, terms: np.ndarray, lo: np.ndarray, magnitudes: np.ndarray, budget: int) -> np.ndarray:
    """Per term, its postings in the tiers whose heaviest impact reaches ``tau``, ``tau`` set for ``budget``."""
    first, last = tiers.indptr[terms], tiers.indptr[terms + 1]
    if not len(tiers.ends):
        return np.zeros(len(terms), dtype=np.int64)
    full = np.where(last > first, tiers.ends[np.maximum(last - 1, 0)] - lo, 0)
    if full.sum() <= budget:
        return full
    heads = [-tiers.maxima[a:b].astype(np.float64) for a, b in zip(first.tolist(), last.tolist(), strict=True)]

    def prefixes(tau: float) -> np.ndarray:
        taken = np.array([np.searchsorted(h, -tau / m, side="right") for h, m in zip(heads, magnitudes, strict=True)])
        last_tier = np.minimum(first + np.maximum(taken - 1, 0), len(tiers.ends) - 1)  # in range for empty lists too
        return np.where(taken > 0, tiers.ends[last_tier] - lo, 0)

    low, high = 0.0, max(-float(h[0]) * m for h, m in zip(heads, magnitudes, strict=True) if len(h))
    for _ in range(_BISECTION_STEPS):
        middle = (low + high) / 2
        if prefixes(middle).sum() > budget:
            low = middle
        else:
            high = middle
    return prefixes(high)
