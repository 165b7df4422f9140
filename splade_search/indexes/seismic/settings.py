"""The seismic backend's knobs: build settings (recorded in the manifest) and search settings.

Names and defaults are Seismic's own (`SeismicIndex.build_from_dataset` and `SeismicIndex.search`);
see Seismic's docs/Guidelines.md for what each trades.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from ...errors import InputError


@dataclass(frozen=True)
class BuildSettings:
    """Knobs of a Seismic build (``index --backend seismic --knob NAME=VALUE``, or ``build(..., knobs=...)``).

    - ``n_postings``: postings kept per term list on average (the lists are cut to their heaviest).
    - ``centroid_fraction``: clusters (blocks) per list, as a fraction of ``n_postings``.
    - ``summary_energy``: share of each block summary's L1 mass kept (higher: more accurate, larger).
    - ``doc_cut``: document terms used to cluster (build speed vs block quality).
    - ``max_fraction``: a list keeps at most ``max_fraction x n_postings`` postings.
    - ``min_cluster_size``: smaller clusters are merged into others.
    """

    n_postings: int = 3500
    centroid_fraction: float = 0.1
    summary_energy: float = 0.4
    doc_cut: int = 15
    max_fraction: float = 1.5
    min_cluster_size: int = 2

    @classmethod
    def from_knobs(cls, knobs: Mapping[str, Any] | None) -> BuildSettings:
        """Settings from ``NAME=VALUE`` knobs; `InputError` naming an unknown knob or a bad value."""
        settings = cls(**_known(knobs, cls, "a seismic build"))
        for name in ("n_postings", "doc_cut", "min_cluster_size"):
            _check_positive_int(name, getattr(settings, name))
        _check_fraction("centroid_fraction", settings.centroid_fraction)
        _check_fraction("summary_energy", settings.summary_energy)
        if not _is_number(settings.max_fraction) or settings.max_fraction < 1:
            raise InputError(f"max_fraction must be a number >= 1, got {settings.max_fraction!r}")
        return settings

    @classmethod
    def from_manifest(cls, record: Any) -> BuildSettings:
        """Settings as a manifest records them; `InputError` when the record is not valid settings."""
        if not isinstance(record, dict):
            raise InputError(f"build settings must be an object, got {record!r:.80}")
        return cls.from_knobs(record)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (the keyword arguments of Seismic's build)."""
        return asdict(self)


@dataclass(frozen=True)
class SearchSettings:
    """Knobs of ``mode="approximate"`` on a seismic index (pass them to ``search`` as keywords).

    - ``query_cut``: heaviest query terms whose lists are visited (``None``: every query term).
    - ``heap_factor``: in (0, 1]; a block is scored when its summary's score reaches
      ``heap_factor x`` the current k-th best score: lower visits more blocks (higher recall, slower).
    """

    query_cut: int | None = 10
    heap_factor: float = 0.8

    @classmethod
    def from_knobs(cls, knobs: Mapping[str, Any] | None) -> SearchSettings:
        """Settings from ``search`` keyword arguments; `InputError` naming an unknown knob or a bad value."""
        settings = cls(**_known(knobs, cls, "search mode 'approximate' of the seismic backend"))
        if settings.query_cut is not None:
            _check_positive_int("query_cut", settings.query_cut)
        if not _is_number(settings.heap_factor) or not 0 < settings.heap_factor <= 1:
            raise InputError(f"heap_factor must be a number in (0, 1], got {settings.heap_factor!r}")
        return settings


def _known(knobs: Mapping[str, Any] | None, settings: type, what: str) -> dict[str, Any]:
    names = [f.name for f in fields(settings)]
    given = dict(knobs or {})
    unknown = sorted(set(given) - set(names))
    if unknown:
        raise InputError(f"{what} takes {', '.join(names)}; got {', '.join(unknown)}")
    return given


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def _check_positive_int(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"{name} must be a positive integer, got {value!r}")


def _check_fraction(name: str, value: object) -> None:
    if not _is_number(value) or not 0 < value <= 1:  # type: ignore[operator]
        raise InputError(f"{name} must be a number in (0, 1], got {value!r}")
