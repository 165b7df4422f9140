"""Query files as the CLI takes them: BEIR ``queries.jsonl``, ``id<TAB>text`` lines, or one query per line."""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import DataFormatError
from ._io import PathLike, base_suffix, decoded_lines
from .beir import read_queries

_WHITESPACE = re.compile(r"\s")
_BINARY = re.compile(r"[\x00-\x08\x0e-\x1f]")


def read_query_file(path: PathLike) -> dict[str, str]:
    """Query id -> text from a ``.jsonl`` (``_id``, ``text``) file or a text file.

    Text lines are ``id<TAB>query``, or just the query (its id is then the line number); blank lines are
    skipped. Bytes that are not UTF-8, binary content, an id holding whitespace or a repeated id raise
    :class:`DataFormatError` naming file and line.
    """
    if base_suffix(path) in (".jsonl", ".ndjson"):
        return read_queries(path, on_decode_error="error")
    queries: dict[str, str] = {}
    for number, line in decoded_lines(path, "error"):
        where = f"{path}, line {number}"
        if _BINARY.search(line):
            raise DataFormatError(f"{where}: binary content (control characters); expected text queries")
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        qid, _, text = line.partition("\t") if "\t" in line else (str(number), "", line)
        if not qid or _WHITESPACE.search(qid):
            raise DataFormatError(f"{where}: query id {qid!r} is empty or holds whitespace")
        if qid in queries:
            raise DataFormatError(f"{where}: query id {qid!r} appears twice")
        queries[qid] = text.strip()
    if not queries:
        raise DataFormatError(f"{Path(path)} holds no queries")
    return queries
