"""Read any supported corpus source as one lazy stream of :class:`Document`.

Sources (``kind``, detected when not given):

- ``"text-folder"``: a folder of ``.txt``/``.md`` files, one document per file (see :mod:`.textfiles`);
- ``"beir"``: a BEIR folder, i.e. one holding ``corpus.jsonl`` or ``corpus.jsonl.gz``;
- ``"jsonl"``, ``"csv"``, ``"tsv"``, ``"parquet"``: a file of records (``.gz`` allowed for the text formats);
- ``"hub"``: a Hugging Face Hub dataset such as ``"BeIR/scifact"`` (``hub_config="corpus"``).

Records name their id in ``id_field`` (default ``_id``, then ``id``), and their title and text in
``title_field``/``text_field``. Ids may be strings or integers; title and text must be strings or
null (null reads as empty); any other value raises :class:`DataFormatError`.

Problems: a malformed record, a missing field, a duplicate id or an empty corpus raise
:class:`DataFormatError` naming file, line (or row) and field. Empty documents (no title, no text)
and files or lines that are not UTF-8 are skipped with a :class:`DataWarning` naming them (past
ten empty documents, one summary warning counts the rest), or raise instead with
``on_empty="error"`` / ``on_decode_error="error"``. CSV, TSV and parquet files must be valid UTF-8
throughout. A text folder is untrusted: only its regular files are read, links out of it are
followed only with ``follow_symlinks=True``, and whatever is skipped is named in a warning (see
:mod:`.textfiles`).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, get_args

from ..errors import DataFormatError, InputError
from ._io import PathLike, base_suffix, open_binary
from .documents import Document, Fields, document_from_record
from .hub import load_hub_dataset
from .jsonl import read_jsonl
from .problems import DataWarning, OnProblem, check_on_problem, handle_problem, warn_data
from .tabular import parquet_num_rows, read_delimited, read_parquet
from .textfiles import read_text_folder, text_files

CorpusKind = Literal["text-folder", "beir", "jsonl", "csv", "tsv", "parquet", "hub"]

BEIR_CORPUS_FILES = ("corpus.jsonl", "corpus.jsonl.gz")
_SUFFIX_KINDS: dict[str, CorpusKind] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
}
_HUB_ID = re.compile(r"[\w.-]+/[\w.-]+")

MAX_EMPTY_WARNINGS = 10

Located = Iterator[tuple[str, Document]]


def read_corpus(
    source: PathLike,
    *,
    kind: CorpusKind | None = None,
    id_field: str | None = None,
    title_field: str | None = "title",
    text_field: str = "text",
    columns: Sequence[str] | None = None,
    hub_config: str | None = None,
    hub_split: str | None = None,
    on_empty: OnProblem = "warn",
    on_decode_error: OnProblem = "warn",
    follow_symlinks: bool = False,
) -> Iterator[Document]:
    """Stream the documents of ``source`` in file order (see the module docstring for sources and rules).

    ``columns`` names the columns of a CSV/TSV file that has no header row. ``hub_config`` and
    ``hub_split`` pick a hub dataset's configuration and split. The source is checked (and a hub
    dataset loaded) at call time; documents are then read lazily. ``follow_symlinks=True`` lets a text
    folder's links lead out of the folder.
    """
    check_on_problem("on_empty", on_empty)
    check_on_problem("on_decode_error", on_decode_error)
    kind = kind or detect_kind(source)
    fields = Fields(id=id_field, title=title_field, text=text_field)
    stream = _located_documents(
        source,
        kind,
        fields,
        columns=columns,
        hub_config=hub_config,
        hub_split=hub_split,
        on_decode_error=on_decode_error,
        follow_symlinks=follow_symlinks,
    )
    return _checked(stream, str(source), on_empty)


def read_rows(
    rows: Iterable[Mapping[str, Any]],
    name: str,
    *,
    id_field: str | None = None,
    title_field: str | None = "title",
    text_field: str = "text",
    on_empty: OnProblem = "warn",
) -> Iterator[Document]:
    """Stream documents from in-memory records (a ``datasets.Dataset``, a list of dicts), checked as by
    :func:`read_corpus`; messages call them ``"<name>, row <n>"``. ``rows`` must be iterable twice."""
    check_on_problem("on_empty", on_empty)
    fields = Fields(id=id_field, title=title_field, text=text_field)
    return _checked(_from_records(fields, lambda: _numbered(rows, name)), name, on_empty)


def detect_kind(source: PathLike) -> CorpusKind:
    """The kind of corpus ``source`` names: by folder content, by file suffix, or ``"hub"`` for ``owner/name``."""
    path = Path(source)
    if path.is_dir():
        return "beir" if beir_corpus_file(path) else "text-folder"
    if path.is_file():
        suffix = base_suffix(path)
        if suffix not in _SUFFIX_KINDS:
            known = ", ".join(sorted(_SUFFIX_KINDS))
            raise InputError(f"{source}: unknown corpus file type {suffix or '(no suffix)'!r}; expected one of {known}")
        return _SUFFIX_KINDS[suffix]
    if _HUB_ID.fullmatch(str(source)) and base_suffix(path) not in _SUFFIX_KINDS:
        return "hub"
    raise InputError(f"{source}: no such file or folder (a hub dataset is named like 'BeIR/scifact')")


def beir_corpus_file(folder: Path) -> Path | None:
    """The corpus file of a BEIR folder, or ``None`` when it has none."""
    return next((folder / name for name in BEIR_CORPUS_FILES if (folder / name).is_file()), None)


def count_documents(
    source: PathLike,
    *,
    kind: CorpusKind | None = None,
    columns: Sequence[str] | None = None,
    follow_symlinks: bool = False,
) -> int | None:
    """The number of records in ``source`` before empty ones are skipped (for progress bars).

    For a text folder: the files :func:`read_corpus` reads with the same ``follow_symlinks``.

    Returns ``None`` for hub datasets, which would have to be loaded to be counted.
    """
    kind = kind or detect_kind(source)
    path = Path(source)
    if kind == "hub":
        return None
    if kind == "text-folder":
        return len(text_files(path, follow_symlinks=follow_symlinks).files)
    if kind == "parquet":
        return parquet_num_rows(path)
    if kind in ("csv", "tsv"):
        return sum(1 for _ in read_delimited(path, delimiter="," if kind == "csv" else "\t", columns=columns))
    corpus_file = _require_beir_corpus(path) if kind == "beir" else path
    with open_binary(corpus_file) as f:
        return sum(1 for line in f if line.strip())


def _located_documents(
    source: PathLike,
    kind: str,
    fields: Fields,
    *,
    columns: Sequence[str] | None,
    hub_config: str | None,
    hub_split: str | None,
    on_decode_error: OnProblem,
    follow_symlinks: bool,
) -> Callable[[], Located]:
    """A function that starts a fresh ``(where, document)`` stream over ``source`` each time it is called."""
    if kind not in get_args(CorpusKind):
        raise InputError(f"unknown corpus kind {kind!r}; expected one of {', '.join(get_args(CorpusKind))}")
    path = Path(source)
    if kind == "hub":
        hint = f"No local file or folder is named {source!r}; pass a BEIR folder, JSONL, CSV/TSV or parquet file."
        dataset = load_hub_dataset(str(source), hub_config, hub_split, local_hint=hint)
        return _from_records(fields, lambda: _numbered(dataset, str(source)))
    if not path.exists():
        raise InputError(f"{source}: no such file or folder")
    if kind == "text-folder":
        return lambda: read_text_folder(path, on_decode_error=on_decode_error, follow_symlinks=follow_symlinks)
    if kind in ("jsonl", "beir"):
        jsonl_file = _require_beir_corpus(path) if kind == "beir" else path
        return _from_records(fields, lambda: read_jsonl(jsonl_file, on_decode_error=on_decode_error))
    if kind == "parquet":
        wanted = {*fields.id_candidates, fields.text, *([fields.title] if fields.title else [])}
        return _from_records(fields, lambda: read_parquet(path, columns=wanted))
    delimiter = "," if kind == "csv" else "\t"
    return _from_records(fields, lambda: read_delimited(path, delimiter=delimiter, columns=columns))


def _from_records(fields: Fields, records: Callable[[], Iterator[tuple[str, Any]]]) -> Callable[[], Located]:
    return lambda: ((where, document_from_record(record, where, fields)) for where, record in records())


def _numbered(rows: Iterable[Mapping[str, Any]], name: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    return ((f"{name}, row {number}", row) for number, row in enumerate(rows, start=1))


def _require_beir_corpus(folder: Path) -> Path:
    corpus_file = beir_corpus_file(folder)
    if corpus_file is None:
        raise DataFormatError(f"{folder}: not a BEIR folder, it has no {' or '.join(BEIR_CORPUS_FILES)}")
    return corpus_file


def _checked(stream: Callable[[], Located], source: str, on_empty: OnProblem) -> Iterator[Document]:
    """Documents of ``stream`` with empty ones handled per ``on_empty`` and duplicate ids rejected.

    The first few empty records are warned about one by one, the rest in one summary at the end.
    """
    seen: set[str] = set()
    empty = 0
    for where, document in stream():
        if document.id in seen:
            first = _first_location(stream, document.id)
            raise DataFormatError(f"duplicate id {document.id!r}: at {first} and again at {where}")
        seen.add(document.id)
        if document.is_empty:
            empty += 1
            if empty <= MAX_EMPTY_WARNINGS or on_empty == "error":
                handle_problem(f"{where}: record {document.id!r} is empty (no title, no text)", on_empty)
            continue
        yield document
    if len(seen) == empty:
        skipped = f" ({empty} empty record(s) skipped)" if empty else ""
        raise DataFormatError(f"{source}: no records found{skipped}")
    if empty > MAX_EMPTY_WARNINGS:
        warn_data(f"{source}: {empty} empty records skipped in all ({empty - MAX_EMPTY_WARNINGS} not listed)")


def _first_location(stream: Callable[[], Located], doc_id: str) -> str:
    """Where ``doc_id`` first occurs, found by reading ``stream`` again (cheaper than storing every location)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return next((where for where, document in stream() if document.id == doc_id), "an earlier record")
