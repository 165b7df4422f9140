"""The optional numba fast path: whether it is usable, and its kernels module.

numba is an optional dependency (the ``fast`` extra). Without it, or with the environment variable
``SPLADE_SEARCH_NO_NUMBA`` set to a non-empty value, every search runs its numpy/scipy path, with
identical results. The choice is made when an index first searches in a mode. The kernels
compile on first use (a few seconds; numba caches them on disk afterwards).
"""

from __future__ import annotations

import functools
import importlib.util
import os
from types import ModuleType

import numpy as np

# Stored weight dtypes the kernels accept (numba has no float16 arithmetic).
KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.uint8), np.dtype(np.int8))


def available() -> bool:
    """Whether the numba kernels can be used in this process."""
    return not os.environ.get("SPLADE_SEARCH_NO_NUMBA") and _numba_installed()


@functools.cache
def _numba_installed() -> bool:
    return importlib.util.find_spec("numba") is not None


def kernels(weights_dtype: np.dtype | None = None) -> ModuleType | None:
    """The `numba_kernels` module, or ``None`` when numba is unusable (or cannot read ``weights_dtype``)."""
    if not available() or (weights_dtype is not None and np.dtype(weights_dtype) not in KERNEL_DTYPES):
        return None
    from . import numba_kernels

    return numba_kernels
