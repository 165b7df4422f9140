"""Where exports are written: whole files or folders that appear only once complete.

A file is written beside its target under a hidden temporary name and renamed over it at the end;
a folder (bulk files and mapping, a Qdrant local store) is built as a hidden sibling and swapped in.
A failed or interrupted export leaves the target as it was. An existing target is replaced only
with ``force``, and an existing folder only when it is an export folder (it holds `MARKER_FILE`):
a folder of anything else is never deleted.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..files import apply_umask, apply_umask_tree, fsync_file, fsync_tree
from ..indexes.storage import write_json

MARKER_FILE = "export.json"
EXPORT_FORMAT = "splade-search-export"


def check_target(path: Path, force: bool, folder: bool) -> None:
    """`InputError` unless an export may write ``path`` (a file, or with ``folder`` a folder)."""
    if not path.exists() and not path.is_symlink():
        return
    if not force:
        raise InputError(f"{path} already exists; pass --force to replace it, or choose another --out")
    if folder and not (path.is_dir() and (path / MARKER_FILE).is_file()):
        raise InputError(f"{path} exists and is not an export folder (no {MARKER_FILE}); remove it yourself or choose another --out")
    if not folder and (path.is_dir() or path.is_symlink()):
        raise InputError(f"{path} is a folder or a link, not a file; choose another --out")


@contextlib.contextmanager
def staged_file(path: Path, force: bool) -> Iterator[Path]:
    """A temporary file beside ``path`` that replaces it when the block exits cleanly."""
    check_target(path, force, folder=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    staging = Path(name)
    try:
        apply_umask(staging)
        yield staging
        fsync_file(staging)
        check_target(path, force, folder=False)
        os.replace(staging, path)
    finally:
        staging.unlink(missing_ok=True)


@contextlib.contextmanager
def staged_folder(path: Path, force: bool, marker: dict[str, Any]) -> Iterator[Path]:
    """A temporary folder beside ``path`` that replaces it, with ``marker`` written into it, when the block exits cleanly."""
    check_target(path, force, folder=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        yield staging
        write_json(staging / MARKER_FILE, {"format": EXPORT_FORMAT, **marker})
        apply_umask_tree(staging)
        fsync_tree(staging)
        check_target(path, force, folder=True)
        _swap_in(staging, path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _swap_in(staging: Path, path: Path) -> None:
    """Move ``staging`` to ``path``; an export folder already there is moved aside first, then removed."""
    if not path.exists():
        os.rename(staging, path)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
    os.rename(path, retired / path.name)
    try:
        os.rename(staging, path)
    except BaseException:
        os.rename(retired / path.name, path)
        raise
    finally:
        shutil.rmtree(retired, ignore_errors=True)
