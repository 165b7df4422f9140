"""The seismic backend: Seismic's approximate search (pyseismic-lsr) behind the `SparseIndex` contract.

- `index`: `SeismicIndex` (build, open, search, explain).
- `engine`: the only module that calls the ``seismic`` package (variants, save/load, stdout).
- `forward`: the stored document vectors, for explain and the exhaustive exact mode.
- `settings`: build and search knobs.

Needs ``pip install 'splade-search[seismic]'`` (imported only when a seismic index is built or opened).
"""

from __future__ import annotations

from .index import SeismicIndex
from .settings import BuildSettings, SearchSettings

__all__ = ["BuildSettings", "SearchSettings", "SeismicIndex"]
