"""A folder of ``.txt`` / ``.md`` files read as documents, one per file.

Files are found recursively, in sorted order of their path relative to the folder; hidden files
and folders (names starting with ``.``) are left out. A document's id is that relative path with
``/`` separators (``notes/intro.md``). A Markdown file whose first non-blank line is a heading
(``# Title``) gets that heading as title and the rest as text; any other file has an empty title
and its whole content as text.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from .documents import Document
from .problems import OnProblem, handle_problem, warn_data

TEXT_SUFFIXES = (".txt", ".md")
_HEADING = re.compile(r"#{1,6}[ \t]+(?P<title>.*?)(?:[ \t]+#+)?[ \t]*")


def text_files(folder: Path) -> tuple[list[Path], Counter[str]]:
    """The text files under ``folder`` sorted by relative path, and a count by suffix of the other files."""
    found: list[Path] = []
    ignored: Counter[str] = Counter()
    for root, dirs, files in os.walk(folder):
        dirs[:] = [name for name in dirs if not name.startswith(".")]
        for name in files:
            if name.startswith("."):
                continue
            suffix = Path(name).suffix.lower()
            if suffix in TEXT_SUFFIXES:
                found.append(Path(root, name))
            else:
                ignored[suffix or "(no suffix)"] += 1
    return sorted(found, key=lambda path: path.relative_to(folder).as_posix()), ignored


def read_text_folder(folder: Path, *, on_decode_error: OnProblem = "warn") -> Iterator[tuple[str, Document]]:
    """Yield ``(where, document)`` for each text file under ``folder`` (see the module docstring).

    Files of other types are left out, with one :class:`DataWarning` that counts them.
    """
    paths, ignored = text_files(folder)
    if ignored:
        kinds = ", ".join(f"{suffix}: {count}" for suffix, count in sorted(ignored.items()))
        warn_data(f"{folder}: ignored {sum(ignored.values())} file(s) that are not .txt/.md ({kinds})")
    for path in paths:
        try:
            content = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as err:
            handle_problem(f"{path}: not valid UTF-8 ({err.reason} at byte {err.start})", on_decode_error)
            continue
        doc_id = path.relative_to(folder).as_posix()
        title, text = _split_heading(content) if path.suffix.lower() == ".md" else ("", content)
        yield str(path), Document(id=doc_id, title=title, text=text.strip())


def _split_heading(content: str) -> tuple[str, str]:
    """``(title, rest)`` when the first non-blank line is a Markdown heading, else ``("", content)``."""
    stripped = content.lstrip()
    first, _, rest = stripped.partition("\n")
    match = _HEADING.fullmatch(first.rstrip())
    if match is None:
        return "", content
    return match.group("title"), rest
