"""Writing a csr generation's postings piece by piece, so that memory stays at one piece.

A writer receives the postings in consecutive term ranges (`Postings` pieces whose ``indptr``
starts at 0; together they cover every term once, in order) and writes the storage layout's files:
``"plain"`` (three ``.npy`` arrays, byte-identical to saving the whole arrays at once) or
``"compact"`` (see `compact`). `write_postings` feeds whole in-memory postings through the same path.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from . import compact
from ..storage import ArrayAppender, save_array
from ...progress import Advance
from .postings import Postings, doc_number_dtype, keep, pieces
from .quantization import Quantization, store

INDPTR, DOCS, WEIGHTS = "postings_indptr.npy", "postings_docs.npy", "postings_weights.npy"
PLAIN_FILES = [INDPTR, DOCS, WEIGHTS]
PIECE = 1 << 24  # postings per piece when whole arrays are written


class PostingsWriter(Protocol):
    """What `CsrIndex` writes its postings through."""

    def append(self, piece: Postings) -> None:
        """Write the postings of the next term range."""

    def finish(self) -> tuple[list[str], dict[str, Any]]:
        """Complete the files; returns their names and the manifest fields that describe them."""

    def abandon(self) -> None:
        """Close the files as they are (the generation folder is being thrown away)."""


class PlainWriter:
    """The ``"plain"`` layout: int64 term offsets, document numbers and stored weights as ``.npy`` arrays."""

    def __init__(self, folder: Path, n_docs: int, weight_dtype: np.dtype) -> None:
        self._folder = folder
        self._lengths: list[np.ndarray] = []
        self._docs = ArrayAppender(folder / DOCS, doc_number_dtype(n_docs))
        try:
            self._weights = ArrayAppender(folder / WEIGHTS, weight_dtype)
        except BaseException:
            self._docs.abandon()
            raise

    def append(self, piece: Postings) -> None:
        self._lengths.append(np.diff(piece.indptr))
        self._docs.append(piece.docs)
        self._weights.append(piece.weights)

    def finish(self) -> tuple[list[str], dict[str, Any]]:
        indptr = np.zeros(sum(len(lengths) for lengths in self._lengths) + 1, dtype=np.int64)
        np.cumsum(np.concatenate([np.zeros(0, np.int64), *self._lengths]), out=indptr[1:])
        save_array(self._folder, INDPTR, indptr)
        self._docs.close()
        self._weights.close()
        return list(PLAIN_FILES), {}

    def abandon(self) -> None:
        self._docs.abandon()
        self._weights.abandon()


@contextmanager
def open_writer(folder: Path, storage: str, n_docs: int, weight_dtype: np.dtype) -> Iterator[PostingsWriter]:
    """A writer of ``storage`` layout into ``folder`` for an index of ``n_docs`` documents.

    An exception inside the block abandons the files (their folder is about to be thrown away).
    """
    writer: PostingsWriter
    if storage == "compact":
        writer = compact.CompactWriter(folder, weight_dtype)
    else:
        writer = PlainWriter(folder, n_docs, weight_dtype)
    try:
        yield writer
    except BaseException:
        writer.abandon()
        raise


def write_postings(
    folder: Path, postings: Postings, storage: str, n_docs: int, weight_dtype: np.dtype
) -> tuple[list[str], dict[str, Any]]:
    """Write whole ``postings`` in ``storage`` layout; returns the files and manifest fields (see `PostingsWriter`)."""
    with open_writer(folder, storage, n_docs, weight_dtype) as writer:
        for piece in pieces(postings, PIECE):
            writer.append(piece)
        return writer.finish()


def write_quantized(writer: PostingsWriter, float_pieces: Iterable[Postings], recipe: Quantization, advance: Advance) -> int:
    """Store each piece's float32 weights as ``recipe`` says, drop those that become 0, and write the piece.

    Returns the number of postings written; ``advance`` is told each piece's postings.
    """
    written = 0
    for piece in float_pieces:
        stored = store(piece.weights, recipe)
        kept = stored != 0
        stored_piece = piece._replace(weights=stored)
        writer.append(stored_piece if kept.all() else keep(stored_piece, kept))
        written += int(kept.sum())
        advance(len(stored))
    return written
