"""How documents are cut into passages and how passage scores make document scores (validated, JSON-ready)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from typing import Any

from ..errors import InputError

BOUNDARIES = ("none", "sentence", "paragraph")
AGGREGATIONS = ("max", "sum-top-m", "first")

# chosen from eval/long_docs.md (long SciFact documents, splade-tiny)
DEFAULT_TOKENS = 128
DEFAULT_OVERLAP = 32
DEFAULT_BOUNDARY = "none"
DEFAULT_AGGREGATION = "max"
DEFAULT_TOP_M = 3

_SUM_TOP = re.compile(r"sum-top-(\d+)")


@dataclass(frozen=True)
class PassageSettings:
    """Passages of ``tokens`` content tokens sharing ``overlap`` tokens with the next one, ended at
    ``boundary`` ("none", "sentence" or "paragraph") when one lies in the window's second half;
    documents are scored by ``aggregation`` of their passages ("max", "sum-top-m" over the best
    ``top_m``, or "first")."""

    tokens: int = DEFAULT_TOKENS
    overlap: int = DEFAULT_OVERLAP
    boundary: str = DEFAULT_BOUNDARY
    aggregation: str = DEFAULT_AGGREGATION
    top_m: int = DEFAULT_TOP_M

    def __post_init__(self) -> None:
        if not _is_int(self.tokens) or self.tokens < 1:
            raise InputError(f"--passage-tokens must be a positive integer, got {self.tokens!r}")
        if not _is_int(self.overlap) or self.overlap < 0:
            raise InputError(f"--passage-stride must be a non-negative integer, got {self.overlap!r}")
        if self.overlap >= self.tokens:
            raise InputError(
                f"--passage-stride {self.overlap} must be smaller than --passage-tokens {self.tokens} "
                "(it is the number of tokens consecutive passages share)"
            )
        if self.boundary not in BOUNDARIES:
            raise InputError(f"--passage-boundary must be one of {', '.join(BOUNDARIES)}, got {self.boundary!r}")
        if self.aggregation not in AGGREGATIONS:
            raise InputError(
                f"--aggregate must be one of max, first, sum-top-m or sum-top-<m>, got {self.aggregation!r}"
            )
        if not _is_int(self.top_m) or self.top_m < 1:
            raise InputError(f"--aggregate sum-top-m needs m >= 1, got {self.top_m!r}")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values (what an index manifest records)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> PassageSettings:
        """Settings from `to_dict` output; unknown keys and wrong types raise `InputError` naming the flag."""
        if not isinstance(data, dict):
            raise InputError(f"passage settings must be a JSON object, got {type(data).__name__}")
        known = [f.name for f in fields(cls)]
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise InputError(f"unknown passage settings {', '.join(map(repr, unknown))}; known: {', '.join(known)}")
        return cls(**data)

    def with_aggregate(self, value: str) -> PassageSettings:
        """These settings with the aggregation named as on the command line (see `parse_aggregate`)."""
        aggregation, top_m = parse_aggregate(value, self.top_m)
        return PassageSettings(self.tokens, self.overlap, self.boundary, aggregation, top_m)


def parse_aggregate(value: str, top_m: int = DEFAULT_TOP_M) -> tuple[str, int]:
    """``(aggregation, top_m)`` from ``--aggregate``: "max", "first", "sum-top-m" or "sum-top-<m>" (e.g. "sum-top-3")."""
    text = str(value).strip().lower()
    match = _SUM_TOP.fullmatch(text)
    if match:
        m = int(match.group(1))
        if m < 1:
            raise InputError(f"--aggregate sum-top-<m> needs m >= 1, got {value!r}")
        return "sum-top-m", m
    if text in AGGREGATIONS:
        return text, top_m
    raise InputError(f"--aggregate must be one of max, first, sum-top-m or sum-top-<m>, got {value!r}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)

