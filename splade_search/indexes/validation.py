"""Sanity checks of what an index folder holds, run on open before anything in it is used.

A checksum proves that a file is the one its manifest lists, not that it makes sense: anyone can ship
a whole folder with re-sealed checksums. These checks turn a crafted or damaged folder into one
`IndexFormatError` naming the file and the field, instead of a crashed kernel, an out-of-bounds write
or silently wrong answers. Array checks are vectorised numpy, linear in the array sizes, and go
through long arrays piece by piece so their temporaries stay small.
"""

from __future__ import annotations

import math
import os
import re
import stat
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import IndexFormatError

DOC_NUMBER_DTYPES = (np.dtype(np.int32), np.dtype(np.int64))
_PIECE = 1 << 22  # postings checked at a time
_SHA256 = re.compile(r"[0-9a-f]{64}")
_REBUILD = "the folder is damaged or was crafted; rebuild the index"


def is_int(value: object) -> bool:
    """Whether ``value`` is a JSON integer (``True`` and ``False`` are not)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _count(value: object) -> bool:
    return is_int(value) and value >= 0  # type: ignore[operator]


def _positive(value: object) -> bool:
    return is_int(value) and value > 0  # type: ignore[operator]


Rule = tuple[Callable[[object], bool], str]
INDEX_FIELDS: dict[str, Rule] = {
    "backend": (lambda v: isinstance(v, str), "a string"),
    "num_docs": (_count, "a non-negative integer"),
    "num_postings": (_count, "a non-negative integer"),
    "vocab_size": (_positive, "a positive integer"),
    "quantization": (lambda v: isinstance(v, dict), "an object"),
    "has_documents": (lambda v: isinstance(v, bool), "true or false"),
    "metadata": (lambda v: isinstance(v, dict), "an object"),
}
DOCSTORE_FIELDS: dict[str, Rule] = {"num_docs": (_count, "a non-negative integer")}
# Required manifest fields by format name (see `layout.INDEX_FORMAT` and `docstore.DOCSTORE_FORMAT`).
MANIFEST_FIELDS: dict[str, dict[str, Rule]] = {
    "splade-search-index": INDEX_FIELDS,
    "splade-search-docstore": DOCSTORE_FIELDS,
}


def check_format_version(version: object, newest: int, source: Path) -> int:
    """``version`` if it is a format version this code reads (1 .. ``newest``), else `IndexFormatError`."""
    if not is_int(version) or version < 1:  # type: ignore[operator]
        raise IndexFormatError(f"{source}: format_version must be a positive integer, got {version!r}; {_REBUILD}")
    if version > newest:  # type: ignore[operator]
        raise IndexFormatError(
            f"{source.parent} has format version {version!r}; this splade-search reads up to {newest}. "
            "Upgrade splade-search or rebuild the index."
        )
    return version  # type: ignore[return-value]


def check_fields(manifest: Mapping[str, Any], rules: Mapping[str, Rule], source: Path) -> None:
    """Raise `IndexFormatError` unless every field of ``rules`` is present with a valid value."""
    for field, (valid, what) in rules.items():
        if field not in manifest:
            raise IndexFormatError(f"{source} lacks the field {field!r} ({what}); {_REBUILD}")
        if not valid(manifest[field]):
            raise IndexFormatError(f"{source}: field {field!r} must be {what}, got {manifest[field]!r:.80}; {_REBUILD}")


def check_member_name(name: object, source: Path) -> str:
    """``name`` if it is a plain relative POSIX path that stays inside the folder, else `IndexFormatError`."""
    if (
        not isinstance(name, str)
        or not name
        or name.startswith("/")
        or "\\" in name
        or "\0" in name
        or any(part in ("", ".", "..") for part in name.split("/"))
    ):
        raise IndexFormatError(
            f"{source} lists the file {name!r}: file names must be relative paths inside the index folder "
            f"(no absolute path, '..', '.', empty part, backslash or NUL); {_REBUILD}"
        )
    return name


def check_file_record(name: str, record: object, source: Path) -> None:
    """Raise `IndexFormatError` unless ``record`` is ``{"bytes": int >= 0, "sha256": 64 hex digits}``."""
    if not isinstance(record, dict):
        raise IndexFormatError(f"{source}: files[{name!r}] must be an object with bytes and sha256; {_REBUILD}")
    size, digest = record.get("bytes"), record.get("sha256")
    if not _count(size):
        raise IndexFormatError(f"{source}: files[{name!r}].bytes must be a non-negative integer, got {size!r:.80}")
    if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
        raise IndexFormatError(f"{source}: files[{name!r}].sha256 must be 64 lowercase hex digits, got {digest!r:.80}")


def check_regular_file(path: Path, root: Path | None = None) -> None:
    """Raise `IndexFormatError` unless ``path`` is a regular file, not a symbolic link, inside ``root``."""
    if path.is_symlink():
        raise IndexFormatError(f"{path} is a symbolic link; index files must be regular files inside the index folder")
    try:
        resolved = path.resolve(strict=True)
        mode = os.stat(resolved).st_mode
    except (OSError, RuntimeError) as exc:
        raise IndexFormatError(f"{path} is missing; the index is incomplete, rebuild it") from exc
    if root is not None and not resolved.is_relative_to(root.resolve()):
        raise IndexFormatError(f"{path} leads outside the index folder {root}; {_REBUILD}")
    if not stat.S_ISREG(mode):
        raise IndexFormatError(f"{path} is not a regular file; {_REBUILD}")


def check_listed(manifest: Mapping[str, Any], names: Sequence[str], folder: Path) -> None:
    """Raise `IndexFormatError` unless the manifest lists (and so checks) each of ``names``."""
    files = manifest.get("files")
    missing = [name for name in names if not isinstance(files, dict) or name not in files]
    if missing:
        raise IndexFormatError(f"{folder}/manifest.json does not list {', '.join(missing)}; {_REBUILD}")


def check_doc_ids(doc_ids: Sequence[str], path: Path) -> None:
    """Raise `IndexFormatError` if ``doc_ids`` (read from ``path``) holds an empty or repeated id."""
    if "" in doc_ids:
        raise IndexFormatError(f"{path}: document {list(doc_ids).index('')} has an empty id; {_REBUILD}")
    if len(set(doc_ids)) == len(doc_ids):
        return
    seen: set[str] = set()
    for doc_id in doc_ids:
        if doc_id in seen:
            raise IndexFormatError(f"{path}: document id {doc_id!r:.80} appears more than once; {_REBUILD}")
        seen.add(doc_id)


def check_vocab(vocab: object, size: int, path: Path) -> list[str]:
    """``vocab`` if it is a list of ``size`` strings, else `IndexFormatError`."""
    if not isinstance(vocab, list) or len(vocab) != size:
        raise IndexFormatError(f"{path} does not hold {size} tokens (the manifest's vocab_size); {_REBUILD}")
    if set(map(type, vocab)) - {str}:
        bad = next(i for i, token in enumerate(vocab) if not isinstance(token, str))
        raise IndexFormatError(f"{path}: token {bad} is {vocab[bad]!r:.40}, not a string; {_REBUILD}")
    return vocab


def check_postings(
    indptr: np.ndarray,
    docs: np.ndarray,
    weights: np.ndarray,
    *,
    n_terms: int,
    n_docs: int,
    n_postings: int,
    weight_dtype: np.dtype,
    files: tuple[Path, Path, Path],
) -> None:
    """Raise `IndexFormatError` unless the posting arrays are a well-formed term-major index.

    ``indptr``: ``n_terms + 1`` int64 offsets, non-decreasing from 0 to ``n_postings``; ``docs``:
    int32 or int64 document numbers in ``[0, n_docs)``, strictly ascending within each term;
    ``weights``: ``weight_dtype``, finite. ``files`` name the three arrays in messages.
    """
    indptr_file, docs_file, weights_file = files
    if indptr.dtype != np.int64 or indptr.shape != (n_terms + 1,):
        raise IndexFormatError(
            f"{indptr_file} must hold {n_terms + 1} int64 term offsets (the vocabulary size + 1), "
            f"got {indptr.dtype} of shape {indptr.shape}; {_REBUILD}"
        )
    if docs.dtype not in DOC_NUMBER_DTYPES or docs.shape != (n_postings,):
        raise IndexFormatError(
            f"{docs_file} must hold {n_postings} int32 or int64 document numbers, "
            f"got {docs.dtype} of shape {docs.shape}"
        )
    if weights.dtype != weight_dtype or weights.shape != (n_postings,):
        raise IndexFormatError(
            f"{weights_file} must hold {n_postings} weights of dtype {np.dtype(weight_dtype)} (the manifest's "
            f"quantization), got {weights.dtype} of shape {weights.shape}"
        )
    check_rising(indptr, n_postings, f"the manifest's num_postings {n_postings}", "term", indptr_file)
    starts = indptr[1:-1]
    finite = weights.dtype.kind == "f"
    for a in range(0, n_postings, _PIECE):
        b = min(a + _PIECE, n_postings)
        piece = docs[a:b]
        if piece.min() < 0 or piece.max() >= n_docs:
            bad = a + int(np.flatnonzero((piece < 0) | (piece >= n_docs))[0])
            raise IndexFormatError(
                f"{docs_file}: posting {bad} names document {int(docs[bad])}, outside 0 .. {n_docs - 1}; {_REBUILD}"
            )
        _check_ascending(docs, starts, a, b, docs_file)
        if finite and not np.isfinite(weights[a:b]).all():
            bad = a + int(np.flatnonzero(~np.isfinite(weights[a:b]))[0])
            raise IndexFormatError(f"{weights_file}: posting {bad} has weight {weights[bad]}, not finite; {_REBUILD}")


def _check_ascending(docs: np.ndarray, starts: np.ndarray, a: int, b: int, docs_file: Path) -> None:
    """Raise unless ``docs`` ascends strictly from each posting in ``[a, b)`` to the next one of its term."""
    end = min(b, len(docs) - 1)
    if end <= a:
        return
    rising = docs[a + 1 : end + 1] > docs[a:end]
    lo, hi = np.searchsorted(starts, [a + 1, end + 1])
    rising[starts[lo:hi] - 1 - a] = True  # the pair that crosses into the next term may fall
    if not rising.all():
        bad = a + int(np.argmin(rising)) + 1
        term = int(np.searchsorted(starts, bad, side="right"))
        raise IndexFormatError(
            f"{docs_file}: term {term} lists document {int(docs[bad])} after {int(docs[bad - 1])}; "
            f"document numbers must ascend strictly within a term; {_REBUILD}"
        )


def check_rising(offsets: np.ndarray, end: int, end_name: str, unit: str, path: Path) -> None:
    """Raise unless ``offsets`` run from 0 to ``end`` without ever falling (``unit``: what each step is)."""
    if offsets[0] != 0 or offsets[-1] != end:
        raise IndexFormatError(
            f"{path} must run from 0 to {end_name}, got {int(offsets[0])} .. {int(offsets[-1])}; {_REBUILD}"
        )
    falling = np.flatnonzero(offsets[1:] < offsets[:-1])
    if len(falling):
        raise IndexFormatError(f"{path} decreases at {unit} {int(falling[0])}; {_REBUILD}")


def check_offsets(offsets: np.ndarray, n_docs: int, text_size: int, files: tuple[Path, Path]) -> None:
    """Raise `IndexFormatError` unless ``offsets`` cut a text file of ``text_size`` bytes into ``n_docs`` lines."""
    offsets_file, text_file = files
    if offsets.dtype != np.int64 or offsets.shape != (n_docs + 1,):
        raise IndexFormatError(
            f"{offsets_file} must hold {n_docs + 1} int64 offsets (the manifest's num_docs + 1), "
            f"got {offsets.dtype} of shape {offsets.shape}; {_REBUILD}"
        )
    check_rising(offsets, text_size, f"the {text_size} bytes of {text_file}", "document", offsets_file)


def check_scale(dtype: str, scale: object, integer: bool, source: str) -> float | None:
    """The scale of a quantization record: positive and finite for integer dtypes, null for float ones."""
    if not integer:
        if scale is not None:
            raise IndexFormatError(f"{source}: quantization {dtype} takes no scale, got {scale!r:.40}; {_REBUILD}")
        return None
    if not isinstance(scale, (int, float)) or isinstance(scale, bool) or not math.isfinite(scale) or scale <= 0:
        raise IndexFormatError(
            f"{source}: quantization {dtype} needs a positive finite scale, got {scale!r:.40}; {_REBUILD}"
        )
    return float(scale)
