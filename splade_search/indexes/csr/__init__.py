"""The csr backend: exact, pruned and approximate search over memory-mapped numpy posting lists.

- `index`: `CsrIndex` (build, open, search, add/delete through `update`).
- `postings`, `quantization`, `compact`: how postings are held and stored (plain, quantized, delta-coded).
- `search_modes`: one scorer per mode: exact, `pruning` (block-max over `blockmax` maxima), `approximate`.
- `fast`/`numba_kernels`: the optional numba fast path behind the numpy/scipy one.
"""

from __future__ import annotations

from .index import CsrIndex

__all__ = ["CsrIndex"]
