"""Reading compact postings of format 2 (written before blocks): three zlib streams decoded whole.

Files: ``postings_lengths.zz`` (each term's number of postings), ``postings_docs.zz`` (within each
term, the gap minus one between successive document numbers; the first posting: its number), both
variable-byte integers, and ``postings_weights.zz`` (the stored weights, little endian, in pieces
of ``chunk`` postings split into byte planes), each file one zlib stream. The manifest records
``"storage": {"layout": "compact", "codec": "zlib-varbyte", "chunk": N}``. There is no random
access into a stream, so these postings are decoded into memory on open, piece by piece; indexes
written now use blocks (see `compact`), and `add`/`delete` rewrite such an index in blocks.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import IndexFormatError
from . import varbyte
from .postings import Postings, doc_number_dtype
from ..validation import check_listed, check_regular_file

CODEC = "zlib-varbyte"
LENGTHS, DOCS, WEIGHTS = "postings_lengths.zz", "postings_docs.zz", "postings_weights.zz"
FILES = [LENGTHS, DOCS, WEIGHTS]
CHUNK = 1 << 20  # values decoded at a time
_READ = 1 << 22  # compressed bytes read from disk at a time


def read_postings(
    folder: Path, manifest: dict[str, Any], n_terms: int, n_docs: int, weight_dtype: np.dtype
) -> Postings:
    """Decode the compact postings of ``folder`` into plain, read-only arrays.

    Raises `IndexFormatError` naming the file when a stream is unlisted, not a regular file, damaged
    or does not hold the counts the manifest records (`csr` checks the decoded arrays' structure).
    """
    check_listed(manifest, FILES, folder)
    for name in FILES:
        check_regular_file(folder / name, folder)
    n_postings, chunk = int(manifest["num_postings"]), int(manifest["storage"]["chunk"])
    lengths = np.empty(n_terms, dtype=np.int64)
    _fill(folder / LENGTHS, lengths, lambda a, values: values, limit=n_docs + 1)
    indptr = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    if indptr[-1] != n_postings:
        raise IndexFormatError(f"{folder / LENGTHS} counts {indptr[-1]} postings, the manifest says {n_postings}")
    docs = np.empty(n_postings, dtype=doc_number_dtype(n_docs))
    starts = indptr[:-1][lengths > 0]

    def decode(a: int, gaps: np.ndarray) -> np.ndarray:
        numbers = _undelta(gaps, starts, a, docs)
        if numbers.size and numbers.max() >= n_docs:
            raise IndexFormatError(f"{folder / DOCS} holds document numbers beyond the {n_docs} documents")
        return numbers

    _fill(folder / DOCS, docs, decode, limit=n_docs)
    weights = _read_weights(folder / WEIGHTS, n_postings, np.dtype(weight_dtype), chunk)
    for array in (indptr, docs, weights):
        array.setflags(write=False)
    return Postings(indptr, docs, weights)


def _undelta(gaps: np.ndarray, starts: np.ndarray, a: int, docs: np.ndarray) -> np.ndarray:
    """Document numbers of postings ``a ..`` from their gaps (``docs[a - 1]`` is already decoded)."""
    steps = gaps + 1
    running = np.cumsum(steps)
    lo, hi = np.searchsorted(starts, [a, a + len(gaps)])
    local = starts[lo:hi] - a
    segment = np.zeros(len(gaps), dtype=np.int64)
    segment[local] = 1
    np.cumsum(segment, out=segment)
    base = np.empty(len(local) + 1, dtype=np.int64)
    base[0] = int(docs[a - 1]) if a else -1
    base[1:] = -1 - (running[local] - steps[local])
    return running + base[segment]


def _fill(path: Path, out: np.ndarray, transform: Any, limit: int) -> None:
    """Decode the variable-byte integers of ``path`` into ``out`` (all of it, nothing more).

    ``transform(position, values)`` maps each decoded piece before it is stored; every raw value
    must be below ``limit``.
    """
    done, tail = 0, np.empty(0, dtype=np.uint8)
    with _Inflater(path) as stream:
        while piece := stream.read(CHUNK):
            data = np.concatenate([tail, np.frombuffer(piece, dtype=np.uint8)])
            values, used = varbyte.decode(data, path)
            tail = data[used:]
            if done + len(values) > len(out):
                raise IndexFormatError(f"{path} holds more values than the manifest's counts")
            if values.size and values.max() >= limit:
                raise IndexFormatError(f"{path} holds a value out of range: the file is corrupted; rebuild the index")
            out[done : done + len(values)] = transform(done, values)
            done += len(values)
    if done != len(out) or tail.size:
        raise IndexFormatError(f"{path} holds {done} values, the manifest's counts say {len(out)}; rebuild the index")


def _read_weights(path: Path, n: int, dtype: np.dtype, chunk: int) -> np.ndarray:
    little = dtype.newbyteorder("<")
    weights = np.empty(n, dtype=little)
    as_bytes = weights.view(np.uint8).reshape(n, little.itemsize)
    with _Inflater(path) as stream:
        for a in range(0, n, chunk):
            count = min(chunk, n - a)
            piece = stream.read(count * little.itemsize)
            if len(piece) != count * little.itemsize:
                raise IndexFormatError(f"{path} ends before the manifest's {n} weights; rebuild the index")
            as_bytes[a : a + count] = np.frombuffer(piece, dtype=np.uint8).reshape(little.itemsize, count).T
        if stream.read(1):
            raise IndexFormatError(f"{path} holds more than the manifest's {n} weights; rebuild the index")
    return weights.astype(dtype, copy=False)


class _Inflater:
    """Reads a file written by `_Deflater`, a piece at a time; damage raises `IndexFormatError`."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._file = open(path, "rb")
        self._zlib = zlib.decompressobj()
        self._input = b""

    def read(self, size: int) -> bytes:
        """Up to ``size`` bytes (fewer only at the end of the stream)."""
        parts, got = [], 0
        try:
            while got < size and not self._zlib.eof:
                if not self._input:
                    self._input = self._file.read(_READ)
                piece = self._zlib.decompress(self._input, size - got)
                self._input = self._zlib.unconsumed_tail
                if not piece and not self._input and not self._zlib.eof:
                    if not (more := self._file.read(_READ)):
                        raise IndexFormatError(f"{self._path} ends early: the file is truncated; rebuild the index")
                    self._input = more
                parts.append(piece)
                got += len(piece)
        except zlib.error as exc:
            raise IndexFormatError(f"{self._path} is not a valid zlib stream ({exc}): rebuild the index") from exc
        return b"".join(parts)

    def __enter__(self) -> _Inflater:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if exc[0] is None and not self._zlib.eof:
                raise IndexFormatError(f"{self._path} ends early: the file is truncated; rebuild the index")
            if exc[0] is None and (self._zlib.unused_data or self._input or self._file.read(1)):
                raise IndexFormatError(f"{self._path} has data after its end: the file is corrupted; rebuild the index")
        finally:
            self._file.close()
