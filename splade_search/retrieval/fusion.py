"""Fusing ranked lists from several retrievers: reciprocal rank fusion and weighted normalised scores.

- RRF: a document's fused score is ``Σ w_leg / (rrf_k + rank)`` over the legs that returned it
  (1-based ranks; a leg that did not return it adds nothing).
- Weighted: each leg's scores are normalised per query (``"minmax"`` to [0, 1], or ``"zscore"``),
  and a document's fused score is ``Σ w_leg * normalised score``; a leg that did not return the
  document counts it at that leg's lowest normalised score of the query (0 for min-max).

Equal fused scores keep the order in which documents were first met (the first leg's order, then
the next leg's), so fusion is deterministic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..errors import InputError
from .hits import Hit, LegResult

FUSION_METHODS = ("rrf", "weighted")
NORMALIZATIONS = ("minmax", "zscore")
DEFAULT_RRF_K = 60


def rrf_scores(rankings: Sequence[Sequence[str]], rrf_k: float = DEFAULT_RRF_K, weights: Sequence[float] | None = None) -> dict[str, float]:
    """RRF score of every document in ``rankings`` (ranked id lists; a repeated id keeps its first rank)."""
    weights = [1.0] * len(rankings) if weights is None else list(weights)
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, doc_id in enumerate(dict.fromkeys(ranking), start=1):
            scores[doc_id] = scores.get(doc_id, 0.0) + weight / (rrf_k + rank)
    return scores


def reciprocal_rank_fusion(rankings: Sequence[Sequence[str]], rrf_k: int = DEFAULT_RRF_K) -> list[tuple[str, float]]:
    """Fused ``(doc id, score)`` pairs, best first, from ranked doc-id lists (a repeated id keeps its first rank)."""
    return sorted(rrf_scores(rankings, rrf_k).items(), key=lambda item: -item[1])


def normalize_scores(scores: Sequence[float], method: str = "minmax") -> np.ndarray:
    """Scores of one ranked list made comparable across retrievers.

    ``"minmax"``: to [0, 1] (all equal: all 1); ``"zscore"``: mean 0, standard deviation 1 (all equal: all 0).
    """
    values = np.asarray(scores, dtype=np.float64)
    if method not in NORMALIZATIONS:
        raise InputError(f"unknown score normalisation {method!r}; choose one of {', '.join(NORMALIZATIONS)}")
    if not len(values):
        return values
    if method == "minmax":
        low, span = values.min(), values.max() - values.min()
        return (values - low) / span if span > 0 else np.ones_like(values)
    std = values.std()
    return (values - values.mean()) / std if std > 0 else np.zeros_like(values)


def check_fusion(method: str, legs: Sequence[str], weights: Mapping[str, float] | None, normalization: str, rrf_k: float) -> dict[str, float]:
    """The weight of every leg (1.0 unless given), or `InputError` for a bad method, weight or ``rrf_k``."""
    if method not in FUSION_METHODS:
        raise InputError(f"unknown fusion method {method!r}; choose one of {', '.join(FUSION_METHODS)}")
    if normalization not in NORMALIZATIONS:
        raise InputError(f"unknown score normalisation {normalization!r}; choose one of {', '.join(NORMALIZATIONS)}")
    if isinstance(rrf_k, bool) or not isinstance(rrf_k, (int, float)) or not 0 <= rrf_k < 1e9:
        raise InputError(f"rrf_k must be a non-negative number, got {rrf_k!r}")
    weights = dict(weights or {})
    unknown = sorted(set(weights) - set(legs))
    if unknown:
        raise InputError(f"weights name unknown leg(s) {', '.join(unknown)}; the legs are {', '.join(legs)}")
    for name, weight in weights.items():
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 <= weight < 1e9:
            raise InputError(f"the weight of leg {name!r} must be a non-negative number, got {weight!r}")
    return {name: float(weights.get(name, 1.0)) for name in legs}


def fuse_hits(
    legs: Mapping[str, Sequence[Hit]],
    k: int,
    *,
    method: str = "rrf",
    rrf_k: float = DEFAULT_RRF_K,
    weights: Mapping[str, float] | None = None,
    normalization: str = "minmax",
) -> list[Hit]:
    """The fused top-``k`` of one query's hits from each leg (``{leg name: hits, best first}``).

    Every fused hit records in ``legs`` the rank and score each leg gave it, and takes its title,
    text, matching terms (and snippet) and metadata from the first leg that has them.
    """
    leg_weights = check_fusion(method, list(legs), weights, normalization, rrf_k)
    if method == "rrf":
        fused = rrf_scores([[hit.id for hit in hits] for hits in legs.values()], rrf_k, list(leg_weights.values()))
    else:
        fused = _weighted_scores(legs, leg_weights, normalization)
    found: dict[str, Hit] = {}
    for name, hits in legs.items():
        for hit in hits:
            merged = found.get(hit.id)
            if merged is None:
                merged = found[hit.id] = Hit(id=hit.id, score=0.0, rank=0)
            if name not in merged.legs:
                merged.legs[name] = LegResult(rank=hit.rank, score=float(hit.score))
            _fill(merged, hit)
    ranked = sorted(found.values(), key=lambda hit: -fused[hit.id])[:k]
    for rank, hit in enumerate(ranked, start=1):
        hit.rank, hit.score = rank, float(fused[hit.id])
    return ranked


def _weighted_scores(legs: Mapping[str, Sequence[Hit]], weights: Mapping[str, float], normalization: str) -> dict[str, float]:
    per_leg = []
    for name, hits in legs.items():
        normalised = normalize_scores([hit.score for hit in hits], normalization)
        floor = float(normalised.min()) if len(normalised) else 0.0
        per_leg.append((weights[name], floor, {hit.id: float(v) for hit, v in zip(hits, normalised)}))
    ids = {hit.id for hits in legs.values() for hit in hits}
    return {doc_id: sum(w * scores.get(doc_id, floor) for w, floor, scores in per_leg) for doc_id in ids}


def _fill(target: Hit, source: Hit) -> None:
    """Copy what ``target`` lacks (title and text, terms with their snippet, metadata) from ``source``."""
    if not target.title and not target.text and (source.title or source.text):
        target.title, target.text = source.title, source.text
    if not target.terms and source.terms:
        target.terms, target.snippet = list(source.terms), source.snippet
    if not target.metadata and source.metadata:
        target.metadata = dict(source.metadata)
