"""Compact on-disk postings of a csr index: blocks of delta + variable-byte document numbers and
weights, each block deflated on its own, so that a search decodes only the blocks its terms use.

A ``"compact"`` index keeps the same postings as a ``"plain"`` one (see `csr`) in fewer bytes. The
postings, in term-major order, are cut into blocks of ``block`` postings (the last one shorter;
a block may hold the end of one term and the start of the next). Files (listed and checksummed in
the manifest like any other file):

- ``postings_indptr.npy``: int64 term offsets, as in a plain index (memory-mapped);
- ``postings_blocks.npy``: int64, one row per block plus a last one: where each block starts in
  the two streams below (the last row: their sizes);
- ``postings_docs.zz``: per block, one zlib stream of variable-byte integers (see `varbyte`): the
  gap minus one between successive document numbers of a term (the first posting of a term or of
  the block: its document number);
- ``postings_weights.zz``: per block, one zlib stream of its stored weights (quantization dtype,
  little endian) split into byte planes (every weight's byte 0, then every byte 1, ...), which
  deflate compresses better.

The manifest records ``"storage": {"layout": "compact", "codec": "zlib-varbyte-blocks", "block": N}``
and format version 3 (older readers refuse the folder instead of misreading it); a manifest without
``storage`` is a plain index. `BlockPostings` reads them; folders of format 2 (one stream per file)
are still read, whole, by `compact_v2`.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import IndexFormatError, InputError
from . import compact_v2, varbyte
from .blocks import BLOCKS, DOCS, INDPTR, WEIGHTS, BlockPostings
from .postings import Postings
from ..storage import save_array

LAYOUTS = ("plain", "compact")
CODEC = "zlib-varbyte-blocks"
FORMAT_VERSION = 3  # of compact indexes: readers of versions 1 and 2 refuse them
FILES = [INDPTR, BLOCKS, DOCS, WEIGHTS]
BLOCK = 1 << 16  # postings per block: ~25 us to decode, 2% larger than one stream
_GAP_LEVEL = 6  # zlib level of gaps: 9 is no smaller; 1 is 3% larger
_WEIGHT_LEVEL = 1  # of weights (nearly random bytes): higher levels are 3x slower for 1.5% less


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
    if record["layout"] == "compact" and not _readable(record):
        raise IndexFormatError(f"{folder}/manifest.json records compact storage this version cannot read: {record!r}")
    return str(record["layout"])


def files_of(manifest: dict[str, Any]) -> list[str]:
    """The postings files of a compact folder's manifest."""
    return list(compact_v2.FILES) if manifest["storage"]["codec"] == compact_v2.CODEC else list(FILES)


def open_postings(
    folder: Path, manifest: dict[str, Any], n_terms: int, n_docs: int, weight_dtype: np.dtype
) -> BlockPostings | Postings:
    """The compact postings of ``folder``: blocks decoded on demand, or (format 2) arrays decoded now."""
    record = manifest["storage"]
    if record["codec"] == compact_v2.CODEC:
        return compact_v2.read_postings(folder, manifest, n_terms, n_docs, weight_dtype)
    return BlockPostings(folder, manifest, n_terms, n_docs, weight_dtype, record["block"])


class CompactWriter:
    """Writes postings in blocks into a folder, term range by term range (see `writers.PostingsWriter`).

    Document numbers must ascend strictly within each term (as everywhere in a csr index). Blocks
    hold `BLOCK` postings however the ranges fall, so the files do not depend on how the postings
    were cut.
    """

    def __init__(self, folder: Path, weight_dtype: np.dtype) -> None:
        self._folder = folder
        self._little = np.dtype(weight_dtype).newbyteorder("<")
        self._lengths: list[np.ndarray] = []
        self._pending = [_Pending(), _Pending(), _Pending()]  # documents, term starts, weights
        self._offsets = [(0, 0)]
        self._docs_out = open(folder / DOCS, "wb")
        self._weights_out = open(folder / WEIGHTS, "wb")

    def append(self, piece: Postings) -> None:
        lengths = np.diff(piece.indptr)
        self._lengths.append(lengths)
        starts = np.zeros(len(piece.docs), dtype=bool)
        starts[piece.indptr[:-1][lengths > 0]] = True
        for pending, values in zip(self._pending, (np.asarray(piece.docs), starts, np.asarray(piece.weights))):
            pending.add(values)
        self._flush(final=False)

    def finish(self) -> tuple[list[str], dict[str, Any]]:
        self._flush(final=True)
        self._docs_out.close()
        self._weights_out.close()
        lengths = np.concatenate([np.zeros(0, np.int64), *self._lengths])
        indptr = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        save_array(self._folder, INDPTR, indptr)
        save_array(self._folder, BLOCKS, np.array(self._offsets, dtype=np.int64))
        record = {"layout": "compact", "codec": CODEC, "block": BLOCK}
        return list(FILES), {"storage": record, "format_version": FORMAT_VERSION}

    def abandon(self) -> None:
        self._docs_out.close()
        self._weights_out.close()

    def _flush(self, final: bool) -> None:
        docs, starts, weights = (pending.take(BLOCK, final) for pending in self._pending)
        for block_docs, block_starts, block_weights in zip(docs, starts, weights):
            block_starts[0] = True
            gaps = np.asarray(block_docs, dtype=np.int64)
            previous = np.empty_like(gaps)
            previous[0], previous[1:] = -1, gaps[:-1]
            previous[block_starts] = -1
            gaps = gaps - previous - 1
            if gaps.min() < 0:
                raise AssertionError("internal error: document numbers must ascend strictly within each term")
            planes = np.ascontiguousarray(block_weights, dtype=self._little).view(np.uint8)
            self._docs_out.write(zlib.compress(varbyte.encode(gaps), _GAP_LEVEL))
            self._weights_out.write(zlib.compress(planes.reshape(-1, self._little.itemsize).T.tobytes(), _WEIGHT_LEVEL))
            self._offsets.append((self._docs_out.tell(), self._weights_out.tell()))


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


def _readable(record: dict[str, Any]) -> bool:
    if record.get("codec") == compact_v2.CODEC:
        return _positive_int(record.get("chunk"))
    return record.get("codec") == CODEC and _positive_int(record.get("block"))


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0
