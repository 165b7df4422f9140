"""Stored metadata fields of an index's documents, kept as typed columns that filters evaluate in bulk.

Each document may carry a flat mapping of field names to values (JSONL keys beyond id/title/text,
CSV/parquet columns, a text file's path, size and modification time). Nested objects are flattened
with dots (``{"a": {"b": 1}}`` -> ``a.b``); ``null`` means "missing". Every field gets one type:

- ``int`` / ``float`` (a field with both becomes ``float``: coerced, and reported), ``bool``,
- ``string`` (stored as codes into a sorted list of the distinct values),
- ``strings`` (a list of strings per document, e.g. tags; a filter ``tags=x`` matches documents
  whose list contains ``x``).

Other mixtures (a string in a number field, a list in a string field, ...) raise `InputError`
naming the field and the two documents that disagree.

On disk (a ``fields/`` folder inside a generation, listed and checksummed in the index manifest):
``fields.json`` (``{"num_docs": N, "fields": [{"name", "type", "file"}]}``) and per field, with
``file`` = ``f<i>``: ``f<i>.present.npy`` (bool) and ``f<i>.values.npy`` (int64/float64/bool) or,
for strings, ``f<i>.codes.npy`` (int32, -1 when missing) with ``f<i>.vocab.json``; for string
lists ``f<i>.indptr.npy`` (int64) and ``f<i>.codes.npy``. `FieldColumns.open` validates every array
(lengths, dtypes, code ranges, monotonic offsets) before anything reads it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import IndexFormatError, InputError
from .storage import load_array, read_json, save_array, write_json

Records = Iterable[Mapping[str, Any] | None]
FIELDS_FOLDER = "fields"
SCHEMA_FILE = "fields.json"
TYPES = ("int", "float", "bool", "string", "strings")
RESERVED = ("id", "title", "text")


@dataclass(frozen=True)
class Column:
    """One field's values for every document (``present`` marks the documents that have it)."""

    name: str
    type: str
    present: np.ndarray
    values: np.ndarray | None = None  # int/float/bool
    codes: np.ndarray | None = None  # string(s): per document (string) or per item (strings)
    vocab: tuple[str, ...] = ()
    indptr: np.ndarray | None = None  # strings: items of document i are codes[indptr[i]:indptr[i + 1]]

    def value(self, doc: int) -> Any:
        """The field's value for document ``doc`` as a plain Python value (``None`` when missing)."""
        if not self.present[doc]:
            return None
        if self.type == "string":
            return self.vocab[int(self.codes[doc])]  # type: ignore[index]
        if self.type == "strings":
            start, end = int(self.indptr[doc]), int(self.indptr[doc + 1])  # type: ignore[index]
            return [self.vocab[int(c)] for c in self.codes[start:end]]  # type: ignore[index]
        return self.values[doc].item()  # type: ignore[index]


class FieldColumns:
    """All stored fields of an index, by name."""

    def __init__(self, columns: Mapping[str, Column], num_docs: int, coerced: tuple[str, ...] = ()) -> None:
        self.columns = dict(columns)
        self.num_docs = num_docs
        self.coerced = coerced

    def __contains__(self, name: object) -> bool:
        return name in self.columns

    def __getitem__(self, name: str) -> Column:
        return self.columns[name]

    @property
    def names(self) -> list[str]:
        """Field names, sorted."""
        return sorted(self.columns)

    def schema(self) -> dict[str, str]:
        """Field name -> type."""
        return {name: self.columns[name].type for name in self.names}

    def record(self, doc: int) -> dict[str, Any]:
        """The fields document ``doc`` has, as plain values."""
        found = {name: self.columns[name].value(doc) for name in self.names}
        return {name: value for name, value in found.items() if value is not None}

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, Any] | None], ids: list[str] | None = None) -> FieldColumns:
        """Columns from one metadata mapping per document (in document order); see the module docstring."""
        rows = [flatten(record or {}) for record in records]
        ids = ids if ids is not None else [str(i) for i in range(len(rows))]
        types, coerced = _infer_types(rows, ids)
        columns = {name: _column(name, kind, rows) for name, kind in types.items()}
        return cls(columns, len(rows), tuple(coerced))

    def write(self, folder: Path) -> list[str]:
        """Write the columns into ``folder`` (created); returns the files written, relative to its parent."""
        folder.mkdir()
        entries = []
        for number, name in enumerate(self.names):
            column, stem = self.columns[name], f"f{number}"
            entries.append({"name": name, "type": column.type, "file": stem})
            save_array(folder, f"{stem}.present.npy", column.present)
            if column.values is not None:
                save_array(folder, f"{stem}.values.npy", column.values)
            if column.codes is not None:
                save_array(folder, f"{stem}.codes.npy", column.codes)
                write_json(folder / f"{stem}.vocab.json", list(column.vocab))
            if column.indptr is not None:
                save_array(folder, f"{stem}.indptr.npy", column.indptr)
        write_json(folder / SCHEMA_FILE, {"num_docs": self.num_docs, "fields": entries})
        return [f"{folder.name}/{path.name}" for path in sorted(folder.iterdir())]

    @classmethod
    def open(cls, folder: Path, num_docs: int) -> FieldColumns:
        """Read and validate the columns written by `write` for an index of ``num_docs`` documents."""
        schema = read_json(folder / SCHEMA_FILE)
        entries = schema.get("fields") if isinstance(schema, dict) else None
        if not isinstance(entries, list) or schema.get("num_docs") != num_docs:
            raise IndexFormatError(f"{folder / SCHEMA_FILE} does not describe the fields of {num_docs} documents")
        columns = {}
        for entry in entries:
            column = _read_column(folder, entry, num_docs)
            columns[column.name] = column
        return cls(columns, num_docs)


def field_columns(records: Records | FieldColumns | None, ids: list[str]) -> FieldColumns | None:
    """Columns for ``records`` (one per document id, in order), or ``None`` when none were given."""
    if records is None or isinstance(records, FieldColumns):
        columns = records
    else:
        columns = FieldColumns.from_records(list(records), ids)
    if columns is not None and columns.num_docs != len(ids):
        raise InputError(f"metadata fields were given for {columns.num_docs} documents, the index has {len(ids)}")
    return columns


def flatten(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``record`` with nested mappings flattened into dotted names; ``None`` values dropped."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, name + "."))
        elif value is not None:
            flat[name] = value
    return flat


def _kind(value: Any) -> str:
    if isinstance(value, bool) or isinstance(value, np.bool_):
        return "bool"
    if isinstance(value, (int, np.integer)):
        return "int"
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(float(value)):
            return "bad"
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        return "strings"
    return "bad"


def _infer_types(rows: list[dict[str, Any]], ids: list[str]) -> tuple[dict[str, str], list[str]]:
    types: dict[str, str] = {}
    first: dict[str, tuple[str, str]] = {}
    coerced: list[str] = []
    for doc_id, row in zip(ids, rows):
        for name, value in row.items():
            if not name or name in RESERVED:
                raise InputError(f"document {doc_id!r}: metadata field {name!r} is reserved or empty; rename it")
            kind = _kind(value)
            if kind == "bad":
                raise InputError(
                    f"document {doc_id!r}: metadata field {name!r} holds {type(value).__name__} {value!r:.40}; "
                    "fields hold numbers, booleans, strings or lists of strings"
                )
            known = types.get(name)
            if known is None:
                types[name], first[name] = kind, (doc_id, kind)
            elif known != kind:
                if {known, kind} == {"int", "float"}:
                    if known == "int":
                        types[name] = "float"
                        coerced.append(name)
                    continue
                other_id, other_kind = first[name]
                raise InputError(
                    f"metadata field {name!r} is {other_kind} in document {other_id!r} but {kind} in document "
                    f"{doc_id!r}; give it one type in every document"
                )
    return types, coerced


def _column(name: str, kind: str, rows: list[dict[str, Any]]) -> Column:
    present = np.array([name in row for row in rows], dtype=bool)
    if kind in ("int", "float", "bool"):
        dtype = {"int": np.int64, "float": np.float64, "bool": np.bool_}[kind]
        values = np.array([row.get(name, 0) for row in rows], dtype=dtype)
        return Column(name, kind, present, values=values)
    if kind == "string":
        vocab = tuple(sorted({row[name] for row in rows if name in row}))
        position = {value: code for code, value in enumerate(vocab)}
        codes = np.array([position[row[name]] if name in row else -1 for row in rows], dtype=np.int32)
        return Column(name, kind, present, codes=codes, vocab=vocab)
    vocab = tuple(sorted({item for row in rows for item in row.get(name, ())}))
    position = {value: code for code, value in enumerate(vocab)}
    lengths = [len(row.get(name, ())) for row in rows]
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    codes = np.array([position[item] for row in rows for item in row.get(name, ())], dtype=np.int32)
    return Column(name, kind, present, codes=codes, vocab=vocab, indptr=indptr)


def _read_column(folder: Path, entry: Any, num_docs: int) -> Column:
    where = folder / SCHEMA_FILE
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or entry.get("type") not in TYPES:
        raise IndexFormatError(f"{where}: field entry {entry!r:.80} needs a name and a type among {', '.join(TYPES)}")
    stem = entry.get("file")
    if not isinstance(stem, str) or not stem.startswith("f") or not stem[1:].isdigit():
        raise IndexFormatError(f"{where}: field {entry['name']!r} names file {stem!r:.40}, expected f<number>")
    name, kind = entry["name"], entry["type"]

    def array(suffix: str, dtype: Any, length: int | None) -> np.ndarray:
        path = f"{stem}.{suffix}.npy"
        values = load_array(folder, path)
        if values.dtype != np.dtype(dtype) or values.ndim != 1 or (length is not None and len(values) != length):
            raise IndexFormatError(f"{folder / path} must hold {length} values of dtype {np.dtype(dtype)}")
        return values

    present = array("present", np.bool_, num_docs)
    if kind in ("int", "float", "bool"):
        dtype = {"int": np.int64, "float": np.float64, "bool": np.bool_}[kind]
        return Column(name, kind, present, values=array("values", dtype, num_docs))
    vocab = read_json(folder / f"{stem}.vocab.json")
    if not isinstance(vocab, list) or not all(isinstance(v, str) for v in vocab):
        raise IndexFormatError(f"{folder / f'{stem}.vocab.json'} must be a list of strings")
    if kind == "string":
        codes = array("codes", np.int32, num_docs)
        if len(codes) and (codes.max(initial=-1) >= len(vocab) or codes.min(initial=0) < -1):
            raise IndexFormatError(f"{folder / f'{stem}.codes.npy'} holds codes outside its {len(vocab)} values")
        return Column(name, kind, present, codes=codes, vocab=tuple(vocab))
    indptr = array("indptr", np.int64, num_docs + 1)
    codes = array("codes", np.int32, None)
    if indptr[0] != 0 or indptr[-1] != len(codes) or (np.diff(indptr) < 0).any():
        raise IndexFormatError(f"{folder / f'{stem}.indptr.npy'} must rise from 0 to {len(codes)}")
    if len(codes) and (codes.min() < 0 or codes.max() >= len(vocab)):
        raise IndexFormatError(f"{folder / f'{stem}.codes.npy'} holds codes outside its {len(vocab)} values")
    return Column(name, kind, present, codes=codes, vocab=tuple(vocab), indptr=indptr)


def iter_records(columns: FieldColumns) -> Iterator[dict[str, Any]]:
    """Every document's fields, in document order (to carry them into a new generation)."""
    for doc in range(columns.num_docs):
        yield columns.record(doc)
