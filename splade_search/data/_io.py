"""File plumbing shared by the readers and writers: gzip-transparent opening and atomic writes."""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from ..errors import DataFormatError
from ..files import apply_umask
from .problems import OnProblem, handle_problem

PathLike = str | os.PathLike[str]


def is_gzip(path: PathLike) -> bool:
    """Whether ``path`` names a gzip file (by its ``.gz`` suffix)."""
    return str(path).lower().endswith(".gz")


def base_suffix(path: PathLike) -> str:
    """The lower-case suffix that tells the format, ignoring a trailing ``.gz`` (``a.jsonl.gz`` -> ``.jsonl``)."""
    name = Path(path).name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    return Path(name).suffix


def open_binary(path: PathLike) -> io.BufferedIOBase:
    """Open ``path`` for reading bytes, decompressing ``.gz`` files."""
    return gzip.open(path, "rb") if is_gzip(path) else open(path, "rb")


def decoded_lines(path: PathLike, on_decode_error: OnProblem = "error") -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, text)`` for each line of a UTF-8 file (``.gz`` allowed); numbers start at 1.

    A line that is not valid UTF-8 is skipped with a warning or raises :class:`DataFormatError`,
    per ``on_decode_error``; either way the message names file and line.
    """
    with open_binary(path) as f:
        for number, raw in enumerate(f, start=1):
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as err:
                handle_problem(
                    f"{path}, line {number}: not valid UTF-8 ({err.reason} at byte {err.start})",
                    on_decode_error,
                )
            else:
                yield number, line


def read_utf8(path: PathLike) -> str:
    """The whole text of a UTF-8 file; other bytes raise :class:`DataFormatError` naming file and line."""
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise DataFormatError(f"{path}, line {line}: not valid UTF-8 ({err.reason} at byte {err.start})") from None


@contextlib.contextmanager
def atomic_write(path: PathLike) -> Iterator[IO[str]]:
    """Open a UTF-8 text stream whose content replaces ``path`` only once the block exits cleanly.

    Data goes to a temporary file in the same folder, then ``os.replace`` moves it into place, so
    readers never see a half-written file. A ``.gz`` path is written gzip-compressed.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        apply_umask(tmp)
        with open(fd, "wb") as raw:
            if is_gzip(target):
                stream: IO[str] = gzip.open(raw, "wt", encoding="utf-8", newline="\n")
            else:
                stream = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
            with stream as f:
                yield f
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
