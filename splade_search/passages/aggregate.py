"""From ranked passage hits to ranked documents: max-passage (MaxP), sum of the top-m passages, first passage.

The top-k documents by MaxP are the first k distinct parents of the passage ranking, so a passage
search deep enough to see k distinct parents gives the exact document top-k (`needed_depth`).
`search_documents` deepens a passage search until the aggregated top-k cannot change any more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ..errors import InputError
from .settings import AGGREGATIONS, DEFAULT_TOP_M


class PassageHits(NamedTuple):
    """One query's passage hits, best first: passage numbers, scores, parent document numbers and,
    for "first", each passage's position inside its document (0 = first passage)."""

    passages: np.ndarray
    scores: np.ndarray
    parents: np.ndarray
    ordinals: np.ndarray | None = None


@dataclass(frozen=True)
class DocumentRanking:
    """Documents best first, their scores, the passage number of each one's best passage, and whether
    a deeper passage search could still change this top-k (``exact`` False)."""

    docs: np.ndarray
    scores: np.ndarray
    best_passages: np.ndarray
    exact: bool

    def __len__(self) -> int:
        return len(self.docs)


def needed_depth(parents: np.ndarray, k: int) -> int | None:
    """How many leading passage hits hold ``k`` distinct parents (the MaxP top-k), or None when fewer exist."""
    first = _first_occurrences(np.asarray(parents))
    return int(first[k - 1]) + 1 if len(first) >= k else None


def aggregate(
    hits: PassageHits,
    k: int,
    aggregation: str = "max",
    *,
    top_m: int = DEFAULT_TOP_M,
    exhausted: bool = False,
    passage_counts: np.ndarray | None = None,
) -> DocumentRanking:
    """The top-``k`` documents of ``hits`` under ``aggregation`` ("max", "sum-top-m", "first").

    ``exhausted``: the hits are every passage that matches the query (nothing deeper exists).
    ``passage_counts``: passages per document number, which lets "sum-top-m" know a short
    document's score is final.
    """
    _check(k, aggregation)
    parents = np.asarray(hits.parents, dtype=np.int64)
    scores = np.asarray(hits.scores, dtype=np.float32)
    passages = np.asarray(hits.passages, dtype=np.int64)
    if aggregation == "first":
        if hits.ordinals is None:
            raise InputError('aggregation "first" needs the passage ordinals of the hits')
        keep = np.flatnonzero(np.asarray(hits.ordinals) == 0)[:k]
        return DocumentRanking(parents[keep], scores[keep], passages[keep], exhausted or len(keep) == k)
    if aggregation == "max":
        top = _first_occurrences(parents)[:k]
        return DocumentRanking(parents[top], scores[top], passages[top], exhausted or len(top) == k)
    return _sum_top_m(parents, scores, passages, k, top_m, exhausted, passage_counts)


def search_documents(
    search: Callable[[int], PassageHits],
    k: int,
    aggregation: str = "max",
    *,
    total_passages: int,
    top_m: int = DEFAULT_TOP_M,
    passage_counts: np.ndarray | None = None,
    depth: int | None = None,
) -> DocumentRanking:
    """The exact top-``k`` documents, from ``search(depth)`` (the top-``depth`` passage hits of one query),
    doubling the depth until more passages cannot change the result."""
    _check(k, aggregation)
    if total_passages < 1:
        return DocumentRanking(*(np.zeros(0, dtype) for dtype in (np.int64, np.float32, np.int64)), True)
    depth = min(total_passages, depth or max(4 * k, 32))
    while True:
        hits = search(depth)
        exhausted = len(hits.passages) < depth or depth >= total_passages
        ranking = aggregate(
            hits, k, aggregation, top_m=top_m, exhausted=exhausted, passage_counts=passage_counts
        )
        if ranking.exact:
            return ranking
        depth = min(total_passages, depth * 2)


def _sum_top_m(
    parents: np.ndarray,
    scores: np.ndarray,
    passages: np.ndarray,
    k: int,
    m: int,
    exhausted: bool,
    passage_counts: np.ndarray | None,
) -> DocumentRanking:
    docs, slot = np.unique(parents, return_inverse=True)
    order = np.argsort(slot, kind="stable")  # hits grouped by document, best first inside each group
    counts = np.bincount(slot, minlength=len(docs))
    group_start = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rank_in_doc = np.empty(len(parents), dtype=np.int64)
    rank_in_doc[order] = np.arange(len(parents)) - group_start[slot[order]]
    kept = rank_in_doc < m
    sums = np.bincount(slot[kept], weights=scores[kept].astype(np.float64), minlength=len(docs))
    best_hit = order[group_start]
    ranked = np.lexsort((best_hit, -sums))[:k]
    result = (docs[ranked], sums[ranked].astype(np.float32), passages[best_hit[ranked]])
    floor = max(float(scores[-1]), 0.0) if len(scores) else 0.0
    if exhausted or floor == 0.0:
        return DocumentRanking(*result, exhausted or len(ranked) == k)
    wanted = np.full(len(docs), m) if passage_counts is None else np.minimum(m, np.asarray(passage_counts)[docs])
    missing = np.maximum(wanted - np.minimum(counts, m), 0)
    upper = sums + missing * floor
    others = np.ones(len(docs), dtype=bool)
    others[ranked] = False
    others_best = max(float(upper[others].max()) if others.any() else 0.0, m * floor)
    exact = len(ranked) == k and not missing[ranked].any() and others_best <= float(sums[ranked[-1]])
    return DocumentRanking(*result, bool(exact))


def _first_occurrences(parents: np.ndarray) -> np.ndarray:
    """Positions of each distinct parent's first hit, in hit order."""
    _, first = np.unique(parents, return_index=True)
    return np.sort(first)


def _check(k: int, aggregation: str) -> None:
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
        raise InputError(f"k must be a positive integer, got {k!r}")
    if aggregation not in AGGREGATIONS:
        raise InputError(f"--aggregate must be one of {', '.join(AGGREGATIONS)}, got {aggregation!r}")
