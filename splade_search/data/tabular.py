"""CSV, TSV and parquet files as a stream of rows (dicts) that know where they came from."""

from __future__ import annotations

import csv
from collections.abc import Collection, Iterator, Sequence
from typing import Any

from ..errors import DataFormatError, InputError
from ._io import PathLike, decoded_lines

# Documents can be long; csv's default field limit (128 KiB) would reject them.
_CSV_FIELD_LIMIT = 2**31 - 1


def read_delimited(
    path: PathLike, *, delimiter: str, columns: Sequence[str] | None = None
) -> Iterator[tuple[str, dict[str, str]]]:
    """Yield ``(where, row)`` for each record of a CSV (``delimiter=","``) or TSV (``"\\t"``) file.

    The first line is the header unless ``columns`` names the columns. CSV follows RFC 4180
    quoting; TSV has no quoting (a tab or newline cannot occur inside a field). A row with the
    wrong number of fields raises :class:`DataFormatError` naming file and line.
    """
    csv.field_size_limit(max(csv.field_size_limit(), _CSV_FIELD_LIMIT))
    lines = (line for _, line in decoded_lines(path))
    if delimiter == "\t":
        reader = csv.reader(lines, delimiter=delimiter, quoting=csv.QUOTE_NONE, strict=True)
    else:
        reader = csv.reader(lines, delimiter=delimiter, strict=True)
    header = list(columns) if columns is not None else _header(reader, path)
    for values in _rows(reader, path):
        where = f"{path}, line {reader.line_num}"
        if len(values) != len(header):
            raise DataFormatError(f"{where}: expected {len(header)} fields ({', '.join(header)}), found {len(values)}")
        yield where, dict(zip(header, values, strict=True))


def _header(reader: Any, path: PathLike) -> list[str]:
    header = next(_rows(reader, path), None)
    if header is None:
        return []
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise DataFormatError(f"{path}, line 1: duplicate column name(s) {', '.join(map(repr, duplicates))}")
    return header


def _rows(reader: Any, path: PathLike) -> Iterator[list[str]]:
    """The non-blank rows of ``reader``, with csv parse errors turned into :class:`DataFormatError`."""
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            raise DataFormatError(f"{path}, line {reader.line_num}: {err}") from None
        if values:
            yield values


def read_parquet(path: PathLike, *, columns: Collection[str] | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield ``(where, row)`` for each row of a parquet file, ``where`` being ``"<path>, row <n>"``.

    Only the ``columns`` that exist in the file are read (all columns when ``None``).
    """
    parquet = _import_parquet()
    try:
        file = parquet.ParquetFile(path)
    except Exception as err:  # pyarrow raises several unrelated types for a corrupt file
        raise DataFormatError(f"{path}: not a readable parquet file ({err})") from None
    names = file.schema_arrow.names
    selected = names if columns is None else [name for name in names if name in columns]
    row = 0
    for batch in file.iter_batches(columns=selected):
        for record in batch.to_pylist():
            row += 1
            yield f"{path}, row {row}", record


def parquet_num_rows(path: PathLike) -> int:
    """The number of rows a parquet file declares in its metadata."""
    return int(_import_parquet().ParquetFile(path).metadata.num_rows)


def _import_parquet() -> Any:
    try:
        import pyarrow.parquet as parquet
    except ImportError as err:
        raise InputError("reading parquet files needs pyarrow: pip install pyarrow") from err
    return parquet
