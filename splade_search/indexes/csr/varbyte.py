"""Variable-byte integers: 7 bits per byte, least significant group first, high bit set on a value's last byte."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...errors import IndexFormatError

MAX_BYTES = 9  # bytes of the longest value (63 bits)


def encode(values: np.ndarray) -> bytes:
    """Variable-byte encoding of non-negative integers."""
    v = np.asarray(values, dtype=np.uint64)
    sizes = np.ones(len(v), dtype=np.int64)
    k = 1
    while k < MAX_BYTES and (longer := v >= np.uint64(1 << (7 * k))).any():
        sizes += longer
        k += 1
    ends = np.cumsum(sizes)
    out = np.zeros(int(ends[-1]) if len(ends) else 0, dtype=np.uint8)
    firsts = ends - sizes
    out[firsts] = v & np.uint64(127)
    for j in range(1, k):
        has = sizes > j
        out[firsts[has] + j] = (v[has] >> np.uint64(7 * j)) & np.uint64(127)
    out[ends - 1] |= 128
    return out.tobytes()


def decode(data: np.ndarray, path: Path) -> tuple[np.ndarray, int]:
    """The complete values at the start of ``data`` and how many bytes they take; damage names ``path``."""
    ends = np.flatnonzero(data >= 128)
    if not len(ends):
        if len(data) > MAX_BYTES:
            raise IndexFormatError(f"{path} is not valid variable-byte data: the file is corrupted; rebuild the index")
        return np.empty(0, dtype=np.int64), 0
    firsts = np.empty_like(ends)
    firsts[0], firsts[1:] = 0, ends[:-1] + 1
    sizes = ends - firsts + 1
    if sizes.max() > MAX_BYTES:
        raise IndexFormatError(f"{path} is not valid variable-byte data: the file is corrupted; rebuild the index")
    values = (data[firsts] & 127).astype(np.int64)
    for j in range(1, int(sizes.max())):
        has = np.flatnonzero(sizes > j)
        values[has] |= (data[firsts[has] + j] & 127).astype(np.int64) << (7 * j)
    return values, int(ends[-1]) + 1
