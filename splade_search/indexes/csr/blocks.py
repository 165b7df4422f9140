"""Reading compact postings (see `compact`) block by block, on demand, through a bounded cache.

`BlockPostings` memory-maps the term offsets and the block table and keeps the two compressed
streams open; a search decodes only the blocks that hold its terms' postings. Decoded blocks are
kept in a least-recently-used cache of at most `CACHE_BYTES`, so memory stays bounded whatever the
index size. Each block is checked as it is decoded (its length, document numbers within the corpus,
finite weights); damage raises `IndexFormatError` naming the file and the block. `BlockPostings.whole`
decodes everything at once, for what needs whole arrays (pruned and approximate search, add, delete).
"""

from __future__ import annotations

import os
import threading
import zlib
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import IndexFormatError
from . import varbyte
from .postings import Postings, doc_number_dtype
from ..storage import load_array
from ..validation import check_listed, check_regular_file, check_rising

INDPTR, BLOCKS = "postings_indptr.npy", "postings_blocks.npy"
DOCS, WEIGHTS = "postings_docs.zz", "postings_weights.zz"
CACHE_BYTES = 256 << 20  # decoded blocks kept per index
_REBUILD = "the file is damaged; rebuild the index"


class BlockPostings:
    """The postings of a compact folder, decoded block by block as searches need them (thread-safe)."""

    def __init__(
        self, folder: Path, manifest: dict[str, Any], n_terms: int, n_docs: int, weight_dtype: np.dtype, block: int
    ) -> None:
        check_listed(manifest, [INDPTR, BLOCKS, DOCS, WEIGHTS], folder)
        self.n_docs, self.block = n_docs, block
        self.n_postings = int(manifest["num_postings"])
        self.weight_dtype = np.dtype(weight_dtype)
        self.indptr = load_array(folder, INDPTR)
        if self.indptr.dtype != np.int64 or self.indptr.shape != (n_terms + 1,):
            raise IndexFormatError(f"{folder / INDPTR} must hold {n_terms + 1} int64 term offsets; {_REBUILD}")
        check_rising(self.indptr, self.n_postings, f"the manifest's num_postings {self.n_postings}", "term", folder / INDPTR)
        self._paths = (folder / DOCS, folder / WEIGHTS)
        for path in self._paths:
            check_regular_file(path, folder)
        self._offsets = self._block_table(folder)
        self._files = [open(path, "rb") for path in self._paths]
        self._cache: OrderedDict[int, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._cached_bytes = 0
        self._lock = threading.Lock()

    @property
    def cached_bytes(self) -> int:
        """Bytes of decoded blocks held in the cache now (at most `CACHE_BYTES`, or one block)."""
        return self._cached_bytes

    def lists(self, starts: list[int], ends: list[int]) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Documents and stored weights of postings ``starts[i]:ends[i]`` for each ``i`` (e.g. one term each)."""
        docs, weights = [], []
        for a, b in zip(starts, ends, strict=True):
            if a == b:
                docs.append(np.empty(0, doc_number_dtype(self.n_docs)))
                weights.append(np.empty(0, self.weight_dtype))
                continue
            parts = [self._block(n) for n in range(a // self.block, -(-b // self.block))]
            first = a - (a // self.block) * self.block
            joined_docs = np.concatenate([p[0] for p in parts]) if len(parts) != 1 else parts[0][0]
            joined_weights = np.concatenate([p[1] for p in parts]) if len(parts) != 1 else parts[0][1]
            docs.append(joined_docs[first : first + b - a])
            weights.append(joined_weights[first : first + b - a])
        return docs, weights

    def whole(self) -> Postings:
        """Every posting, decoded into read-only arrays (as much memory as a plain index's files)."""
        docs = np.empty(self.n_postings, dtype=doc_number_dtype(self.n_docs))
        weights = np.empty(self.n_postings, dtype=self.weight_dtype)
        for number in range(len(self._offsets) - 1):
            a = number * self.block
            docs[a : a + self.block], weights[a : a + self.block] = self._decode(number)
        for array in (docs, weights):
            array.setflags(write=False)
        return Postings(self.indptr, docs, weights)

    def _block(self, number: int) -> tuple[np.ndarray, np.ndarray]:
        with self._lock:
            found = self._cache.get(number)
            if found is not None:
                self._cache.move_to_end(number)
                return found
        decoded = self._decode(number)
        size = decoded[0].nbytes + decoded[1].nbytes
        with self._lock:
            if number not in self._cache:
                self._cache[number] = decoded
                self._cached_bytes += size
            while self._cached_bytes > CACHE_BYTES and len(self._cache) > 1:
                _, (old_docs, old_weights) = self._cache.popitem(last=False)
                self._cached_bytes -= old_docs.nbytes + old_weights.nbytes
        return decoded

    def _decode(self, number: int) -> tuple[np.ndarray, np.ndarray]:
        """Block ``number``'s document numbers and weights, checked."""
        first = number * self.block
        count = min(self.block, self.n_postings - first)
        docs_path, weights_path = self._paths
        raw = self._inflate(0, number)
        gaps, used = varbyte.decode(np.frombuffer(raw, dtype=np.uint8), docs_path)
        if len(gaps) != count or used != len(raw):
            raise IndexFormatError(f"{docs_path}: block {number} holds {len(gaps)} values, not {count}; {_REBUILD}")
        docs = _undelta(gaps, self._term_starts(first, count))
        if docs.size and docs.max() >= self.n_docs:
            raise IndexFormatError(
                f"{docs_path}: block {number} holds document numbers beyond the {self.n_docs} documents; {_REBUILD}"
            )
        little = self.weight_dtype.newbyteorder("<")
        raw = self._inflate(1, number)
        if len(raw) != count * little.itemsize:
            raise IndexFormatError(f"{weights_path}: block {number} holds {len(raw)} bytes, not {count} weights; {_REBUILD}")
        weights = np.frombuffer(raw, dtype=np.uint8).reshape(little.itemsize, count).T.copy().view(little).ravel()
        if little.kind == "f" and not np.isfinite(weights).all():
            bad = first + int(np.flatnonzero(~np.isfinite(weights))[0])
            value = weights[bad - first]
            raise IndexFormatError(f"{weights_path}: posting {bad} has weight {value}, not finite; {_REBUILD}")
        return docs.astype(doc_number_dtype(self.n_docs)), weights.astype(self.weight_dtype, copy=False)

    def _inflate(self, stream: int, number: int) -> bytes:
        a, b = int(self._offsets[number, stream]), int(self._offsets[number + 1, stream])
        try:
            return zlib.decompress(os.pread(self._files[stream].fileno(), b - a, a))
        except zlib.error as exc:
            path = self._paths[stream]
            raise IndexFormatError(f"{path}: block {number} is not a valid zlib stream ({exc}); {_REBUILD}") from exc

    def _term_starts(self, first: int, count: int) -> np.ndarray:
        """Positions within the block ``first .. first + count`` where a term's postings begin (0 always)."""
        lo = int(np.searchsorted(self.indptr, first, side="right"))
        hi = int(np.searchsorted(self.indptr, first + count, side="left"))
        return np.unique(np.concatenate([[0], self.indptr[lo:hi] - first]))

    def _block_table(self, folder: Path) -> np.ndarray:
        offsets = load_array(folder, BLOCKS)
        n_blocks = -(-self.n_postings // self.block)
        if offsets.dtype != np.int64 or offsets.shape != (n_blocks + 1, 2):
            raise IndexFormatError(f"{folder / BLOCKS} must hold {n_blocks + 1} rows of 2 int64 offsets; {_REBUILD}")
        for stream, path in enumerate(self._paths):
            size = path.stat().st_size
            check_rising(offsets[:, stream], size, f"the size of {path.name} ({size} bytes)", "block", folder / BLOCKS)
        return offsets


def _undelta(gaps: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Document numbers from gaps minus one, restarting at each of ``starts`` (where the gap is the number)."""
    running = np.cumsum(gaps + 1)
    segment = np.zeros(len(gaps), dtype=np.int64)
    segment[starts] = 1
    segment = np.cumsum(segment) - 1
    return running - running[starts][segment] + gaps[starts][segment]
