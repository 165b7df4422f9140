"""JSON Lines files (``.jsonl``, ``.jsonl.gz``) as a stream of objects that know where they came from."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ..errors import DataFormatError
from ._io import PathLike, decoded_lines
from .problems import OnProblem


def read_jsonl(path: PathLike, *, on_decode_error: OnProblem = "error") -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield ``(where, object)`` for each non-blank line, ``where`` being ``"<path>, line <n>"``.

    A line that is not a JSON object raises :class:`DataFormatError` naming file and line; a line
    that is not UTF-8 is handled per ``on_decode_error``.
    """
    for number, line in decoded_lines(path, on_decode_error):
        if not line.strip():
            continue
        where = f"{path}, line {number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise DataFormatError(f"{where}: malformed JSON ({err.msg} at column {err.colno})") from None
        if not isinstance(record, dict):
            raise DataFormatError(f"{where}: expected a JSON object, got {type(record).__name__}")
        yield where, record
