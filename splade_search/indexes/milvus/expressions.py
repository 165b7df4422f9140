"""Milvus boolean expressions for metadata filters (see `filters`) and for sets of document ids.

Each stored metadata field is a nullable scalar field of the collection (see `collection`), so each
condition maps to Milvus's own operators with the same meaning as the csr backend's masks:

- ``=``, ``!=``, ``in``, ``not in``: ``==``, ``!=``, ``in [...]``, ``not in [...]``; on a list of
  strings, ``array_contains`` / ``array_contains_any``;
- ``>``, ``>=``, ``<``, ``<=``: the same operators (strings compare lexicographically, as in csr);
- ``!=`` and ``not in`` also match documents without the field (``... or f is null``); every other
  condition needs the field present (Milvus's comparisons are false on null).

Values are written as literals of the field's type (strings quoted with C escapes); a value Milvus
cannot represent (a non-finite number, an integer beyond 64 bits) is an `InputError`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from ...errors import InputError
from ..fields import Column, FieldColumns
from ..filters import Condition, Filter, typed_values

_INT64 = (-(2**63), 2**63 - 1)
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_ORDER = (">", ">=", "<", "<=")


def filter_expression(spec: Filter, fields: FieldColumns, names: Mapping[str, str]) -> str:
    """The Milvus expression of ``spec`` over the collection fields ``names`` (stored field -> Milvus field)."""
    return " and ".join(f"({_condition(condition, column, names[column.name])})" for condition, column in spec.columns(fields))


def id_expression(field: str, ids: Sequence[str], *, negate: bool = False) -> str:
    """``field in [ids]`` (or ``not in``)."""
    return f"{field} {'not in' if negate else 'in'} [{', '.join(quote(doc_id) for doc_id in ids)}]"


def quote(text: str) -> str:
    """``text`` as a Milvus string literal."""
    return '"' + "".join(_ESCAPES.get(char, char) for char in text) + '"'


def _condition(condition: Condition, column: Column, field: str) -> str:
    values = [_literal(condition, column, value) for value in typed_values(condition, column)]
    op = condition.op
    if column.type == "strings":
        test = f"array_contains({field}, {values[0]})" if op in ("=", "!=") else f"array_contains_any({field}, [{', '.join(values)}])"
        return f"not {test} or {field} is null" if op in ("!=", "not in") else test
    if op in _ORDER:
        return f"{field} {op} {values[0]}"
    listed = f"[{', '.join(values)}]"
    tests = {"=": f"{field} == {values[0]}", "!=": f"{field} != {values[0]}", "in": f"{field} in {listed}"}
    if op == "not in":
        return f"{field} not in {listed} or {field} is null"
    return tests[op] + (f" or {field} is null" if op == "!=" else "")


def _literal(condition: Condition, column: Column, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if not _INT64[0] <= value <= _INT64[1]:
            raise InputError(f"filter {condition}: {value} is beyond the 64-bit integers Milvus stores")
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InputError(f"filter {condition}: {value} is not a finite number; Milvus compares finite numbers only")
        return repr(value)
    return quote(str(value))
