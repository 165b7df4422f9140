"""A folder of ``.txt`` / ``.md`` files read as documents, one per file.

The folder is untrusted input, so these are the rules:

- **What is read.** Files are found recursively; hidden files and folders (names starting with
  ``.``) are left out, and so are files of other types (one warning counts them by suffix). Only
  regular files are read: a FIFO, socket or device named ``*.txt``/``*.md``, a file that cannot be
  read (permission denied), a file over ``max_bytes`` (:data:`MAX_FILE_BYTES` by default), and a
  file that vanishes or is replaced between listing and reading are skipped. Nothing is opened
  before ``lstat``/``stat`` shows a regular file, and files are opened with ``O_NONBLOCK |
  O_NOFOLLOW`` and checked again with ``fstat``, so reading can never block on a pipe or a device.
- **Links.** Every file and folder is read at most once, under the first name the walk finds for it:
  names inside the folder come before links, so a link to a file or folder that the walk reads
  anyway is skipped as a second name, and a link back to a folder that holds it as a loop. A link
  is followed only when its target lies inside the folder (and not under a hidden name), or
  anywhere with ``follow_symlinks=True`` (loops are still stopped). Dangling links and link loops
  (``a -> b -> a``) are skipped.
- **Reporting.** Everything skipped is reported by its path in the folder, one :class:`DataWarning`
  per file saying why; nothing raises a traceback and nothing hangs.
- **Ids.** A document's id is its path relative to the folder with ``/`` separators
  (``notes/intro.md``), in which ``%``, whitespace and bytes that are not UTF-8 are percent-encoded
  as in URLs (``my notes.txt`` -> ``my%20notes.txt``): an id is one token of a TREC run file, and
  ``urllib.parse.unquote_to_bytes(id)`` gives back the path's bytes. Documents come in sorted order
  of the (unencoded) relative path.
- **Content.** A Markdown file whose first non-blank line is a heading (``# Title``) gets that
  heading as title and the rest as text; any other file has an empty title and its whole content
  as text. Its metadata fields are ``path`` (in the folder), ``extension``, ``size`` (bytes) and
  ``modified`` (UTC, ISO 8601, so ``modified>=2024-01-01`` filters by date).
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any

from .documents import Document
from .problems import OnProblem, handle_problem, warn_data
from .textlisting import MAX_FILE_BYTES, TEXT_SUFFIXES, FolderListing, TextFile, identity, not_regular, too_large
from .textlisting import text_files

__all__ = ["MAX_FILE_BYTES", "TEXT_SUFFIXES", "FolderListing", "document_id", "read_text_folder", "text_files"]

_HEADING = re.compile(r"#{1,6}[ \t]+(?P<title>.*?)(?:[ \t]+#+)?[ \t]*")
_UNSAFE_IN_ID = re.compile(r"[%\s\udc80-\udcff]")
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def read_text_folder(
    folder: Path,
    *,
    on_decode_error: OnProblem = "warn",
    follow_symlinks: bool = False,
    max_bytes: int = MAX_FILE_BYTES,
) -> Iterator[tuple[str, Document]]:
    """Yield ``(where, document)`` for each text file under ``folder`` (see the module docstring).

    Each skipped file gets one :class:`DataWarning` naming it; files of other types get one that counts them.
    """
    listing = text_files(folder, follow_symlinks=follow_symlinks, max_bytes=max_bytes)
    for where, reason in listing.skipped:
        warn_data(f"{where}: {reason}; skipped")
    if listing.ignored:
        kinds = ", ".join(f"{suffix}: {count}" for suffix, count in sorted(listing.ignored.items()))
        warn_data(f"{folder}: ignored {sum(listing.ignored.values())} file(s) that are not .txt/.md ({kinds})")
    for file in listing.files:
        where = str(folder / file.relative)
        try:
            data, status = _read_regular_file(file, max_bytes)
            content = data.decode("utf-8-sig")
        except _Unreadable as err:
            warn_data(f"{where}: {err}; skipped")
            continue
        except UnicodeDecodeError as err:
            handle_problem(f"{where}: not valid UTF-8 ({err.reason} at byte {err.start})", on_decode_error)
            continue
        title, text = _split_heading(content) if file.relative.lower().endswith(".md") else ("", content)
        yield where, Document(id=document_id(file.relative), title=title, text=text.strip(), metadata=file_fields(file, status))


def file_fields(file: TextFile, status: os.stat_result) -> dict[str, Any]:
    """A text file's metadata: its path in the folder, extension, size in bytes and modification time (UTC, ISO 8601)."""
    modified = datetime.fromtimestamp(status.st_mtime, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    suffix = PurePosixPath(file.relative).suffix.lower().lstrip(".")
    return {"path": file.relative, "extension": suffix, "size": int(status.st_size), "modified": modified}


def document_id(relative: str) -> str:
    """The id of the file at ``relative`` (a ``/``-separated path): ``%``, whitespace and non-UTF-8 bytes
    percent-encoded."""
    return _UNSAFE_IN_ID.sub(_percent_encoded, relative)


class _Unreadable(Exception):
    """A listed file that cannot be read after all; the message says why."""


def _read_regular_file(file: TextFile, max_bytes: int) -> tuple[bytes, os.stat_result]:
    """The bytes and status of ``file``, provided it is still the regular file that was listed and not over ``max_bytes``."""
    try:
        fd = os.open(file.path, _OPEN_FLAGS)
    except FileNotFoundError:
        raise _Unreadable("vanished before it could be read") from None
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise _Unreadable("was replaced by a link before it could be read") from None
        raise _Unreadable(f"cannot be read ({err.strerror})") from None
    with open(fd, "rb") as f:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode) or identity(status) != file.identity:
            reason = not_regular(status.st_mode) or "another file"
            raise _Unreadable(f"was replaced between listing and reading (now {reason})")
        try:
            data = f.read(max_bytes + 1)
        except OSError as err:
            raise _Unreadable(f"cannot be read ({err.strerror})") from None
    if len(data) > max_bytes:
        raise _Unreadable(too_large(max(status.st_size, len(data)), max_bytes))
    return data, status


def _percent_encoded(match: re.Match[str]) -> str:
    char = match.group()
    raw = bytes([ord(char) - 0xDC00]) if "\udc80" <= char <= "\udcff" else char.encode()
    return "".join(f"%{byte:02X}" for byte in raw)


def _split_heading(content: str) -> tuple[str, str]:
    """``(title, rest)`` when the first non-blank line is a Markdown heading, else ``("", content)``."""
    stripped = content.lstrip()
    first, _, rest = stripped.partition("\n")
    match = _HEADING.fullmatch(first.rstrip())
    if match is None:
        return "", content
    return match.group("title"), rest
