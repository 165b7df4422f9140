"""Approximate search for the csr backend: impact-ordered partial scores, then exact rescoring.

Structure (`ApproximateIndex`, built in memory on first use for each ``list_cut``):

- *impact lists*: each term's postings by decreasing ``|weight|`` (ties: document number), cut
  to the term's ``list_cut`` heaviest postings (Seismic's posting-list cut);
- a *forward index*: the postings document by document, to rescore candidates exactly.

Search (score-at-a-time over impact-ordered lists, with Seismic-style knobs):

1. query-term pruning: only the ``query_cut`` heaviest query terms gather candidates;
2. one impact threshold ``tau`` is set so that the postings with ``|q_t w_td| >= tau`` are about
   ``budget`` of the postings exhaustive search would score (bisection on ``tau``; each term's
   share is a prefix of its impact list); they are summed into partial scores;
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
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import InputError
from . import fast
from .postings import Postings
from .ranges import concat_ranges, offsets_of
from .topk import top_k

_BISECTION_STEPS = 40


@dataclass(frozen=True)
class ApproximateSettings:
    """Knobs of ``mode="approximate"`` (pass them to ``search`` as keywords).

    - ``budget``: share, in (0, 1], of the exhaustive search's postings summed into partial scores.
    - ``rerank``: documents rescored exactly (``None``: every candidate).
    - ``query_cut``: heaviest query terms that gather candidates (``None``: all).
    - ``list_cut``: heaviest postings kept per term in the impact lists (``None``: all; build setting).
    """

    budget: float = 0.1
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


class ApproximateIndex:
    """Impact lists and a forward index of one posting index (see the module docstring)."""

    def __init__(self, impact: Postings, forward: Postings, n_docs: int, full_lengths: np.ndarray) -> None:
        self.impact = impact
        self.forward = forward  # indptr per document, term ids, stored weights
        self.n_docs = n_docs
        self.full_lengths = full_lengths
        self._scratch = threading.local()

    @classmethod
    def build(cls, postings: Postings, n_docs: int, list_cut: int | None) -> ApproximateIndex:
        """Impact-order (and cut) each term's list, and transpose the postings into a forward index."""
        indptr, weights = np.asarray(postings.indptr), np.asarray(postings.weights)
        lengths = np.diff(indptr)
        kept = lengths if list_cut is None else np.minimum(lengths, list_cut)
        positions = np.empty(int(kept.sum()), dtype=np.int64)
        starts = offsets_of(kept)
        for term in np.flatnonzero(lengths > 1).tolist():
            lo, hi = int(indptr[term]), int(indptr[term + 1])
            order = np.argsort(-np.abs(weights[lo:hi].astype(np.float32)), kind="stable")[: kept[term]]
            positions[starts[term] : starts[term + 1]] = order + lo
        for term in np.flatnonzero(lengths == 1).tolist():
            positions[starts[term]] = indptr[term]
        impact = Postings(starts, np.asarray(postings.docs)[positions], weights[positions])
        term_major = sp.csc_matrix((weights, np.asarray(postings.docs), indptr), shape=(n_docs, len(lengths)))
        doc_major = term_major.tocsr()
        forward = Postings(doc_major.indptr.astype(np.int64), doc_major.indices, doc_major.data)
        return cls(impact, forward, n_docs, lengths)

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
                *self.impact, *self.forward, terms.astype(np.int64), factors, np.sort(active), k, budget, rerank, dense, acc
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
        lo, hi = self.impact.indptr[terms[active]], self.impact.indptr[terms[active] + 1]
        magnitudes = np.abs(factors[active]).astype(np.float64)
        prefix = _prefixes(self.impact.weights, lo, hi, magnitudes, budget)
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


def _prefixes(weights: np.ndarray, lo: np.ndarray, hi: np.ndarray, magnitudes: np.ndarray, budget: int) -> np.ndarray:
    """Per list, how many of its heaviest postings have ``|w| x magnitude >= tau``, with ``tau`` set for ``budget``."""
    lengths = hi - lo
    if lengths.sum() <= budget:
        return lengths
    heaviest = [np.abs(weights[a:b].astype(np.float64)) for a, b in zip(lo.tolist(), hi.tolist(), strict=True)]

    def counts(tau: float) -> np.ndarray:
        return np.array([np.searchsorted(-w, -tau / m, side="right") for w, m in zip(heaviest, magnitudes, strict=True)])

    low, high = 0.0, max(float(w[0] * m) for w, m in zip(heaviest, magnitudes, strict=True) if len(w))
    for _ in range(_BISECTION_STEPS):
        middle = (low + high) / 2
        if counts(middle).sum() > budget:
            low = middle
        else:
            high = middle
    return counts(high)
