"""The ``manifest.json`` that describes an index folder and guards its files.

A manifest names the format and its version, the backend, the counts, the quantization, the caller's
metadata and, for every data file, its size in bytes and its SHA-256. Opening a folder checks sizes
always (cheap: catches truncation) and checksums when asked (catches any changed byte).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import IndexFormatError
from . import validation
from .storage import MANIFEST_NAME, read_json, write_json

FORMAT_VERSION = 3  # the newest version this code reads; 2 adds compact csr postings, 3 their blocks (see `compact`)
WRITTEN_VERSION = 1  # what a folder is written as unless it needs a newer version's features
_CHUNK = 1 << 20


def file_record(path: Path) -> dict[str, Any]:
    """Size and SHA-256 of one file, as stored in a manifest."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return {"bytes": path.stat().st_size, "sha256": digest.hexdigest()}


def write_manifest(
    folder: Path, format_name: str, files: Iterable[str], *, format_version: int = WRITTEN_VERSION, **fields: Any
) -> dict[str, Any]:
    """Write ``folder/manifest.json`` recording ``fields`` and the size and checksum of ``files``.

    ``files`` are paths relative to ``folder`` (POSIX separators); they must already be written.
    ``format_version``: raise it only for folders that older readers must refuse.
    """
    manifest = {
        "format": format_name,
        "format_version": format_version,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "library_version": __version__,
        **fields,
        "files": {name: file_record(folder / name) for name in sorted(files)},
    }
    write_json(folder / MANIFEST_NAME, manifest)
    return manifest


def read_manifest(folder: Path, format_name: str, verify: bool = True) -> dict[str, Any]:
    """Read and check ``folder/manifest.json`` and the files it lists.

    Raises `IndexFormatError` naming the file and field when the folder is not of ``format_name``,
    was written by a newer format version, lacks a required field or has one of the wrong type,
    lists a file outside the folder, or a listed file is missing, not a regular file, truncated or
    (with ``verify``) has a different checksum.
    """
    if not folder.is_dir():
        raise IndexFormatError(f"{folder} does not exist or is not a folder")
    source = folder / MANIFEST_NAME
    manifest = read_json(source)
    if not isinstance(manifest, dict) or manifest.get("format") != format_name:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise IndexFormatError(f"{source} describes format {found!r:.80}, expected {format_name!r}")
    validation.check_format_version(manifest.get("format_version"), FORMAT_VERSION, source)
    validation.check_fields(manifest, validation.MANIFEST_FIELDS.get(format_name, {}), source)
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        raise IndexFormatError(f"{source} lists no files; the folder is damaged or was crafted, rebuild the index")
    for name, record in files.items():
        validation.check_member_name(name, source)
        validation.check_file_record(name, record, source)
    for name, record in files.items():
        check_file(folder / name, record, verify, root=folder)
    return manifest


def check_file(path: Path, record: dict[str, Any], verify: bool, root: Path | None = None) -> None:
    """Raise `IndexFormatError` if ``path`` does not match its manifest ``record``.

    ``path`` must be a regular file, not a symbolic link, and (given ``root``) inside ``root``.
    """
    validation.check_regular_file(path, root)
    size = path.stat().st_size
    if size != record.get("bytes"):
        raise IndexFormatError(
            f"{path} has {size} bytes, the manifest says {record.get('bytes')}: "
            "truncated or modified; rebuild the index"
        )
    if verify and file_record(path)["sha256"] != record.get("sha256"):
        raise IndexFormatError(f"{path} fails its SHA-256 check: the file is corrupted; rebuild the index")
