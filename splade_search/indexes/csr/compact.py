"""Compact on-disk postings of a csr index: delta + variable-byte document numbers, then deflate.

A ``"compact"`` index keeps the same postings as a ``"plain"`` one (see `csr`) in three zlib streams
instead of three ``.npy`` arrays, and is decoded once, on open, into the very arrays a plain index
maps, so every search mode works unchanged. Files (listed and checksummed in the manifest like any
other file):

- ``postings_lengths.zz``: the number of postings of each term, as variable-byte integers;
- ``postings_docs.zz``: within each term, the gap minus one between successive document numbers
  (the first posting: its document number), as variable-byte integers;
- ``postings_weights.zz``: the stored weights (quantization dtype, little endian) in pieces of
  ``chunk`` postings; a piece of multi-byte weights is split into byte planes (every weight's byte
  0, then every byte 1, ...), which deflate compresses better.

Variable-byte: 7 bits per byte, least significant group first, high bit set on a value's last
byte. The manifest records ``"storage": {"layout": "compact", "codec": "zlib-varbyte", "chunk": N}``
and format version 2 (older readers refuse the folder instead of misreading it); a manifest without
``storage`` is a plain index. Decoding works piece by piece, so memory stays near the final arrays.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import IndexFormatError, InputError
from .postings import Postings, doc_number_dtype
from ..validation import check_listed, check_regular_file

LAYOUTS = ("plain", "compact")
CODEC = "zlib-varbyte"
FORMAT_VERSION = 2  # of compact indexes: readers of version 1 only refuse them
LENGTHS, DOCS, WEIGHTS = "postings_lengths.zz", "postings_docs.zz", "postings_weights.zz"
FILES = [LENGTHS, DOCS, WEIGHTS]
CHUNK = 1 << 20  # postings per encoded or decoded piece
_GAP_LEVEL = 6  # zlib level of gaps: 9 is no smaller; 1 is 3% larger
_WEIGHT_LEVEL = 1  # of weights (nearly random bytes): higher levels are 3x slower for 1.5% less
_READ = 1 << 22  # compressed bytes read from disk at a time
_MAX_VARBYTE = 9  # bytes of the longest value (63 bits)


def parse_storage(storage: str | None) -> str:
    """Normalize a user's storage choice (``None`` means ``"plain"``) or raise `InputError`."""
    name = "plain" if storage is None else str(storage).lower()
    if name not in LAYOUTS:
        raise InputError(f"unknown storage {storage!r}; choose one of {', '.join(LAYOUTS)}")
    return name


def storage_of(folder: Path, manifest: dict[str, Any]) -> str:
    """The storage layout a manifest records (``"plain"`` when it records none)."""
    record = manifest.get("storage")
    if record is None:
        return "plain"
    if not isinstance(record, dict) or record.get("layout") not in LAYOUTS:
        raise IndexFormatError(f"{folder}/manifest.json records an unknown postings storage {record!r}")
    if record["layout"] == "compact" and (record.get("codec") != CODEC or not _positive_int(record.get("chunk"))):
        raise IndexFormatError(f"{folder}/manifest.json records compact storage this version cannot read: {record!r}")
    return str(record["layout"])


class CompactWriter:
    """Writes postings compactly into a folder, term range by term range (see `writers.PostingsWriter`).

    Document numbers must ascend strictly within each term (as everywhere in a csr index). Gaps and
    weights are deflated in pieces of `CHUNK` postings however the ranges fall, so the files do not
    depend on how the postings were cut.
    """

    def __init__(self, folder: Path, weight_dtype: np.dtype) -> None:
        self._folder = folder
        self._little = np.dtype(weight_dtype).newbyteorder("<")
        self._lengths: list[np.ndarray] = []
        self._gaps, self._weights = _Pending(), _Pending()
        self._docs_out = _Deflater(folder / DOCS, _GAP_LEVEL)
        try:
            self._weights_out = _Deflater(folder / WEIGHTS, _WEIGHT_LEVEL)
        except BaseException:
            self._docs_out.close()
            raise

    def append(self, piece: Postings) -> None:
        lengths = np.diff(piece.indptr)
        self._lengths.append(lengths)
        self._gaps.add(_gaps(piece.docs, piece.indptr[:-1][lengths > 0]))
        self._weights.add(np.asarray(piece.weights))
        self._flush(final=False)

    def finish(self) -> tuple[list[str], dict[str, Any]]:
        self._flush(final=True)
        self._docs_out.close(complete=True)
        self._weights_out.close(complete=True)
        with _Deflater(self._folder / LENGTHS, _GAP_LEVEL) as out:
            out.write(_varbyte(np.concatenate([np.zeros(0, np.int64), *self._lengths])))
        return list(FILES), {"storage": {"layout": "compact", "codec": CODEC, "chunk": CHUNK}, "format_version": FORMAT_VERSION}

    def abandon(self) -> None:
        self._docs_out.close()
        self._weights_out.close()

    def _flush(self, final: bool) -> None:
        for gaps in self._gaps.take(CHUNK, final):
            self._docs_out.write(_varbyte(gaps))
        for weights in self._weights.take(CHUNK, final):
            piece = np.ascontiguousarray(weights, dtype=self._little)
            self._weights_out.write(piece.view(np.uint8).reshape(-1, self._little.itemsize).T.tobytes())


class _Pending:
    """Values waiting to be written in pieces of a fixed size."""

    def __init__(self) -> None:
        self._parts: list[np.ndarray] = []
        self._count = 0

    def add(self, values: np.ndarray) -> None:
        self._parts.append(values)
        self._count += len(values)

    def take(self, size: int, final: bool) -> list[np.ndarray]:
        """Whole pieces of ``size`` values (and, when ``final``, the shorter rest), in order."""
        if self._count < size and not (final and self._count):
            return []
        values = np.concatenate(self._parts)
        whole = len(values) if final else len(values) - len(values) % size
        self._parts = [values[whole:]] if whole < len(values) else []
        self._count = len(values) - whole
        return [values[a : min(a + size, whole)] for a in range(0, whole, size)]


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


def _gaps(docs: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Gap minus one before each posting of ``docs`` (the document number at a term's start, ``starts``)."""
    current = np.asarray(docs, dtype=np.int64)
    previous = np.empty_like(current)
    if len(current):
        previous[1:] = current[:-1]
        previous[starts] = -1
    gaps = current - previous - 1
    if gaps.size and gaps.min() < 0:
        raise AssertionError("internal error: document numbers must ascend strictly within each term")  # the builder sorts them
    return gaps


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
            values, used = _unvarbyte(data, path)
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


def _varbyte(values: np.ndarray) -> bytes:
    """Variable-byte encoding of non-negative integers (see the module docstring)."""
    v = np.asarray(values, dtype=np.uint64)
    sizes = np.ones(len(v), dtype=np.int64)
    k = 1
    while k < _MAX_VARBYTE and (longer := v >= np.uint64(1 << (7 * k))).any():
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


def _unvarbyte(data: np.ndarray, path: Path) -> tuple[np.ndarray, int]:
    """The complete values at the start of ``data`` and how many bytes they take."""
    ends = np.flatnonzero(data >= 128)
    if not len(ends):
        if len(data) > _MAX_VARBYTE:
            raise IndexFormatError(f"{path} is not valid variable-byte data: the file is corrupted; rebuild the index")
        return np.empty(0, dtype=np.int64), 0
    firsts = np.empty_like(ends)
    firsts[0], firsts[1:] = 0, ends[:-1] + 1
    sizes = ends - firsts + 1
    if sizes.max() > _MAX_VARBYTE:
        raise IndexFormatError(f"{path} is not valid variable-byte data: the file is corrupted; rebuild the index")
    values = (data[firsts] & 127).astype(np.int64)
    for j in range(1, int(sizes.max())):
        has = np.flatnonzero(sizes > j)
        values[has] |= (data[firsts[has] + j] & 127).astype(np.int64) << (7 * j)
    return values, int(ends[-1]) + 1


class _Deflater:
    """A file written as one zlib stream."""

    def __init__(self, path: Path, level: int) -> None:
        self._file = open(path, "wb")
        self._zlib = zlib.compressobj(level)

    def write(self, data: bytes) -> None:
        self._file.write(self._zlib.compress(data))

    def __enter__(self) -> _Deflater:
        return self

    def close(self, complete: bool = False) -> None:
        """Close the file; ``complete``: end the stream first (else the file is left unfinished)."""
        try:
            if complete:
                self._file.write(self._zlib.flush())
        finally:
            self._file.close()

    def __exit__(self, *exc: object) -> None:
        self.close(complete=exc[0] is None)


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


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0
