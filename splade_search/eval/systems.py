"""The systems an evaluation suite adds on top of its single systems: a hybrid of them, reranked ones.

`PipelineSpec` says which (``eval --hybrid ... --rerank ...``); `PipelineSpec.systems` makes them
for one dataset from that dataset's single systems, so a hybrid fuses exactly the systems the same
table reports; `leg_systems` reads the ``--hybrid`` legs as systems of the run or index folders.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..retrieval.hits import Retriever
from ..retrieval.hybrid import HybridRetriever


@dataclass
class PipelineSpec:
    """A hybrid system and/or reranked systems.

    ``legs``: ``{leg name: system name}``, each a single system of the same suite (so every leg is
    also evaluated on its own). ``fusion``: `HybridRetriever`'s
    settings (``method``, ``weights``, ``depth``, ``rrf_k``, ``normalization``). ``rerank``: wraps a
    first stage in a reranker (see `retrieval.pipeline.reranking`), named ``rerank_name`` in the table.
    With legs, the hybrid is evaluated and reranked; without, every single system is reranked.
    """

    legs: Mapping[str, str] = field(default_factory=dict)
    fusion: Mapping[str, Any] = field(default_factory=dict)
    rerank: Callable[[Retriever], Retriever] | None = None
    rerank_name: str = "rerank"

    @property
    def hybrid_name(self) -> str:
        """The hybrid's system name, e.g. ``rrf(sparse+bm25)``."""
        return f"{self.fusion.get('method', 'rrf')}({'+'.join(self.legs)})"

    def systems(self, singles: Mapping[str, Retriever]) -> dict[str, Retriever]:
        """The systems to add on one dataset whose single systems are ``singles`` (``{name: retriever}``)."""
        first_stages = dict(singles)
        added: dict[str, Retriever] = {}
        if self.legs:
            missing = sorted(system for system in self.legs.values() if system not in singles)
            if missing:
                raise InputError(f"--hybrid names {', '.join(missing)}, not systems of this evaluation ({', '.join(singles) or 'none'})")
            legs = {leg: singles[system] for leg, system in self.legs.items()}
            first_stages = added = {self.hybrid_name: HybridRetriever(legs, **self.fusion)}
        if self.rerank is not None:
            added = {**added, **{f"{name} > {self.rerank_name}": self.rerank(stage) for name, stage in first_stages.items()}}
        return added


def leg_systems(legs: Mapping[str, str], systems: Sequence[str], indexes: Sequence[Path]) -> tuple[dict[str, str], dict[str, Path]]:
    """Each hybrid leg's system name, and the index folders that legs add (``{leg: folder}``).

    A leg value is a system of the run (one of ``systems`` as given, or one of the ``indexes``)
    or else an index folder, to be evaluated on its own too (its system name is its path).
    """
    known = {*systems, *(str(path) for path in indexes)}
    resolved: dict[str, str] = {}
    folders: dict[str, Path] = {}
    for leg, value in legs.items():
        name = value if value in known else str(Path(value))
        if name not in known:
            folders[leg] = Path(value)
        resolved[leg] = name
    return resolved, folders
