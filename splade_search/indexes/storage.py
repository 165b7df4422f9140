"""The plain files every index folder shares, and how they are read back.

Arrays are `.npy` files read back memory-mapped with ``allow_pickle=False``; document ids are one
UTF-8 line each (an id may hold any character except a line break); the vocabulary is a JSON list.
How whole folders are published atomically is `generations`' business.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import IndexFormatError, InputError
from .validation import check_doc_ids, check_regular_file

MANIFEST_NAME = "manifest.json"


def save_array(folder: Path, name: str, array: np.ndarray) -> None:
    """Write ``array`` to ``folder/name`` as a pickle-free ``.npy`` file."""
    np.save(folder / name, np.ascontiguousarray(array), allow_pickle=False)


class ArrayAppender:
    """A 1-D ``.npy`` file written piece by piece, for arrays too large to hold in memory at once.

    The header is written first with a length of 0 and rewritten by `close` (numpy pads 1-D headers
    to a fixed size, so the data never moves).
    """

    def __init__(self, path: Path, dtype: np.dtype) -> None:
        self.path = path
        self.dtype = np.dtype(dtype)
        self.count = 0
        self._file = open(path, "wb")
        self._start = self._write_header()

    def append(self, values: np.ndarray) -> None:
        """Write ``values`` (converted to the file's dtype) after those already written."""
        self._file.write(np.ascontiguousarray(values, dtype=self.dtype).data)
        self.count += len(values)

    def close(self) -> None:
        """Record the final length in the header and close the file."""
        try:
            if self._write_header() != self._start:
                raise AssertionError(f"internal error: the .npy header of {self.path} changed size")
        finally:
            self._file.close()

    def abandon(self) -> None:
        """Close the file as it is (its folder is being thrown away)."""
        self._file.close()

    def __enter__(self) -> ArrayAppender:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.close()
        else:
            self._file.close()

    def _write_header(self) -> int:
        self._file.seek(0)
        header = {"descr": np.lib.format.dtype_to_descr(self.dtype), "fortran_order": False, "shape": (self.count,)}
        np.lib.format.write_array_header_1_0(self._file, header)
        return self._file.tell()


def load_array(folder: Path, name: str) -> np.ndarray:
    """Memory-map ``folder/name`` read-only; a malformed file or a link raises `IndexFormatError`."""
    check_regular_file(folder / name)
    try:
        array = np.load(folder / name, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise IndexFormatError(f"{folder / name} is not a readable .npy array ({exc}); rebuild the index") from exc
    return array.view(np.ndarray)


def validate_doc_id(doc_id: object) -> str:
    """Return ``doc_id`` if it is a usable id (a non-empty string without line breaks), else raise."""
    if not isinstance(doc_id, str):
        raise InputError(f"document ids must be strings, got {type(doc_id).__name__} {doc_id!r}")
    if not doc_id or "\n" in doc_id or "\r" in doc_id:
        raise InputError(f"document id {doc_id!r} is empty or contains a line break")
    return doc_id


def write_doc_ids(path: Path, doc_ids: Sequence[str]) -> None:
    """Write one id per line (ids are assumed validated by `validate_doc_id`)."""
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for doc_id in doc_ids:
            f.write(doc_id)
            f.write("\n")


def read_doc_ids(path: Path, expected: int) -> list[str]:
    """Read ids written by `write_doc_ids`, checking that there are ``expected`` of them, non-empty and unique."""
    check_regular_file(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise IndexFormatError(f"cannot read document ids from {path} ({exc}); rebuild the index") from exc
    doc_ids = text.split("\n")
    if doc_ids[-1] != "" or len(doc_ids) - 1 != expected:
        raise IndexFormatError(f"{path} holds {len(doc_ids) - 1} ids but the manifest says {expected}")
    doc_ids.pop()
    if "\r" in text:
        raise IndexFormatError(f"{path} holds an id with a carriage return; rebuild the index")
    check_doc_ids(doc_ids, path)
    return doc_ids


def write_json(path: Path, value: Any) -> None:
    """Write ``value`` as UTF-8 JSON."""
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, ensure_ascii=False, indent=1)


def read_json(path: Path) -> Any:
    """Read a JSON file of an index folder; unreadable or invalid JSON, or a link, raises `IndexFormatError`."""
    check_regular_file(path)
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError as exc:
        raise IndexFormatError(f"{path} is missing; the folder is not a complete index") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexFormatError(f"{path} is not valid JSON ({exc}); rebuild the index") from exc
