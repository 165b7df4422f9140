"""HybridRetriever: any mix of retrievers (sparse, BM25, dense...) fused into one ranking."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import InputError
from .fusion import DEFAULT_RRF_K, check_fusion, fuse_hits
from .hits import Hit, Retriever, check_k, supports

DEFAULT_DEPTH = 100


class HybridRetriever(Retriever):
    """Ask every leg for its top ``depth`` and fuse them (``method`` ``"rrf"`` or ``"weighted"``).

    ``legs``: ``{name: retriever}`` (at least one; the names appear in every hit's ``legs``).
    ``depth``: hits asked of each leg, one number or ``{leg: number}`` (never fewer than ``k``).
    ``weights``: ``{leg: weight}`` (default 1 each), used by both methods. ``rrf_k``: the RRF
    constant. ``normalization``: ``"minmax"`` or ``"zscore"``, for ``"weighted"``.
    """

    name = "hybrid"

    def __init__(
        self,
        legs: Mapping[str, Retriever],
        *,
        method: str = "rrf",
        weights: Mapping[str, float] | None = None,
        depth: int | Mapping[str, int] = DEFAULT_DEPTH,
        rrf_k: float = DEFAULT_RRF_K,
        normalization: str = "minmax",
    ) -> None:
        if not isinstance(legs, Mapping) or not legs:
            raise InputError("a hybrid retriever needs at least one leg: {name: retriever}")
        for name, leg in legs.items():
            if not isinstance(name, str) or not name or not isinstance(leg, Retriever):
                raise InputError(f"leg {name!r} must be a non-empty name mapped to a Retriever, got {type(leg).__name__}")
        self.legs = dict(legs)
        self.weights = check_fusion(method, list(self.legs), weights, normalization, rrf_k)
        self.method, self.rrf_k, self.normalization = method, rrf_k, normalization
        self.depths = leg_depths(depth, list(self.legs))

    def search_batch(self, queries: list[str], k: int = 10, *, explain: bool = False) -> list[list[Hit]]:
        """Fused top-``k`` hits per query; ``explain``: legs that can explain their hits (sparse, BM25) do."""
        per_leg = {
            name: leg.search_batch(queries, max(self.depths[name], k), **({"explain": True} if explain and supports(leg, "explain") else {}))
            for name, leg in self.legs.items()
        }
        return [
            fuse_hits(
                {name: hits[row] for name, hits in per_leg.items()},
                k,
                method=self.method,
                rrf_k=self.rrf_k,
                weights=self.weights,
                normalization=self.normalization,
            )
            for row in range(len(queries))
        ]

    def describe(self) -> dict[str, Any]:
        """The settings, as plain JSON (for ``serve``'s stats and eval reports)."""
        return {
            "method": self.method,
            "legs": {name: type(leg).__name__ for name, leg in self.legs.items()},
            "weights": dict(self.weights),
            "depth": dict(self.depths),
            "rrf_k": self.rrf_k,
            "normalization": self.normalization,
        }


def leg_depths(depth: int | Mapping[str, int], legs: list[str]) -> dict[str, int]:
    """The depth of every leg (`DEFAULT_DEPTH` for legs ``depth`` does not name); `InputError` for an unknown leg or a bad number."""
    if isinstance(depth, Mapping):
        unknown = sorted(set(depth) - set(legs))
        if unknown:
            raise InputError(f"depth names unknown leg(s) {', '.join(map(str, unknown))}; the legs are {', '.join(legs)}")
        values = {name: depth.get(name, DEFAULT_DEPTH) for name in legs}
    else:
        values = {name: depth for name in legs}
    for name, value in values.items():
        try:
            check_k(value)
        except InputError:
            raise InputError(f"the depth of leg {name!r} must be a positive integer, got {value!r}") from None
    return values
