"""Metadata filters: parse ``year>=2020``-style conditions and turn them into a mask over documents.

A filter is a conjunction (``and``) of conditions ``FIELD OP VALUE``:

- ``=`` (or ``==``), ``!=``: equality; for a ``strings`` (list) field, "the list contains VALUE";
- ``>``, ``>=``, ``<``, ``<=``: order, for numbers, and for strings (lexicographic, so ISO dates
  such as ``2024-05-01`` compare as dates);
- ``in`` / ``not in`` with a comma-separated list (``source in manual,faq`` or ``[manual, "f a q"]``).

Values take the field's type (``2020`` for an int field, ``true``/``false`` for a bool); quote a
string with ``"`` or ``'`` to keep commas or spaces. As in Elasticsearch, ``!=`` and ``not in`` match
documents without the field; every other condition needs the field present.

Forms accepted by `parse_filter`: a string (conditions joined by `` and ``), a list of such strings
(all must hold), or a mapping ``{"year": {">=": 2020}, "source": ["manual", "faq"], "lang": "en"}``.
Unknown fields, values of the wrong type and malformed expressions raise `InputError`.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InputError
from .fields import Column, FieldColumns

OPERATORS = ("=", "!=", ">", ">=", "<", "<=", "in", "not in")
_CONDITION = re.compile(
    r"\s*(?P<field>[^\s=!<>]+?)\s*(?P<op>==|=|!=|>=|<=|>|<|\s+not\s+in\s+|\s+in\s+)\s*(?P<value>.*?)\s*$",
    re.IGNORECASE | re.DOTALL,
)
_AND = re.compile(r"""\s+and\s+(?=(?:[^"']|"[^"]*"|'[^']*')*$)""", re.IGNORECASE)
_TRUE, _FALSE = ("true", "yes", "1"), ("false", "no", "0")


@dataclass(frozen=True)
class Condition:
    """One ``field op values`` test (``values`` has one item except for ``in``/``not in``)."""

    field: str
    op: str
    values: tuple[Any, ...]

    def __str__(self) -> str:
        shown = ", ".join(map(str, self.values))
        return f"{self.field} {self.op} {shown if self.op not in ('in', 'not in') else '[' + shown + ']'}"


@dataclass(frozen=True)
class Filter:
    """A conjunction of conditions; `mask` evaluates it over an index's stored fields."""

    conditions: tuple[Condition, ...]

    def __str__(self) -> str:
        return " and ".join(map(str, self.conditions))

    def mask(self, fields: FieldColumns) -> np.ndarray:
        """Boolean mask of the documents that satisfy every condition."""
        result = np.ones(fields.num_docs, dtype=bool)
        for condition, column in self.columns(fields):
            result &= _evaluate(condition, column)
        return result

    def columns(self, fields: FieldColumns) -> list[tuple[Condition, Column]]:
        """Each condition with the stored column it tests; `InputError` for a field the index does not store."""
        for condition in self.conditions:
            if condition.field not in fields:
                known = ", ".join(fields.names) or "none"
                raise InputError(f"filter field {condition.field!r} is not stored in this index (fields: {known})")
        return [(condition, fields[condition.field]) for condition in self.conditions]


def parse_filter(spec: str | Sequence[str] | Mapping[str, Any] | Filter | None) -> Filter | None:
    """A `Filter` from any accepted form (see the module docstring); ``None`` or empty means no filter."""
    if spec is None or isinstance(spec, Filter):
        return spec
    if isinstance(spec, str):
        parts = [part for part in _AND.split(spec.strip()) if part.strip()] if spec.strip() else []
        conditions = [_parse_condition(part) for part in parts]
    elif isinstance(spec, Mapping):
        conditions = [_condition_from_mapping(field, value) for field, value in spec.items()]
    elif isinstance(spec, Sequence):
        conditions = [c for item in spec for c in (parse_filter(item) or Filter(())).conditions]
    else:
        raise InputError(f"a filter is a string, a list of strings or a mapping, got {type(spec).__name__}")
    return Filter(tuple(conditions)) if conditions else None


def _parse_condition(text: str) -> Condition:
    match = _CONDITION.match(text)
    if match is None or not match.group("value"):
        raise InputError(
            f"cannot read the filter {text.strip()!r}: write FIELD OP VALUE with OP one of "
            "=, !=, >, >=, <, <=, in, not in (e.g. year>=2020, source in manual,faq)"
        )
    op = " ".join(match.group("op").lower().split())
    op = "=" if op == "==" else op
    raw = match.group("value")
    if op in ("in", "not in"):
        values = tuple(_unquote(item) for item in _items(raw.strip().removeprefix("[").removesuffix("]")))
        if not values:
            raise InputError(f"filter {text.strip()!r}: '{op}' needs a comma-separated list of values")
    else:
        values = (_unquote(raw),)
    return Condition(match.group("field"), op, values)


def _condition_from_mapping(field: str, value: Any) -> Condition:
    if isinstance(value, Mapping):
        if len(value) != 1:
            raise InputError(f"filter on {field!r}: give one operator per field, e.g. {{'>=': 2020}}")
        (op, operand), = value.items()
        op = "=" if op == "==" else str(op).lower()
        if op not in OPERATORS:
            raise InputError(f"filter on {field!r}: unknown operator {op!r}; use one of {', '.join(OPERATORS)}")
        values = tuple(operand) if op in ("in", "not in") and isinstance(operand, (list, tuple)) else (operand,)
        return Condition(field, op, values)
    if isinstance(value, (list, tuple)):
        return Condition(field, "in", tuple(value))
    return Condition(field, "=", (value,))


def _items(text: str) -> list[str]:
    """Split a comma-separated list, keeping commas inside quotes."""
    items, current, quote = [], "", ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == ",":
            items.append(current)
            current = ""
            continue
        current += char
    items.append(current)
    return [item for item in items if item.strip()]


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def typed_values(condition: Condition, column: Column) -> list[Any]:
    """The condition's values in the column's type; `InputError` for a value of another type, or an order
    comparison on a list or true/false field."""
    if column.type == "strings" and condition.op not in ("=", "!=", "in", "not in"):
        raise InputError(f"filter {condition}: {column.name!r} is a list of strings; use =, !=, in or not in")
    if column.type == "bool" and condition.op not in ("=", "!=", "in", "not in"):
        raise InputError(f"filter {condition}: {column.name!r} is true/false; use = or !=")
    return [_typed(condition, column, value) for value in condition.values]


def _evaluate(condition: Condition, column: Column) -> np.ndarray:
    values = typed_values(condition, column)
    op = condition.op
    if column.type == "strings":
        hits = _contains_any(column, values)
        return ~hits if op in ("!=", "not in") else hits
    data = _comparable(column, values)
    if op in ("=", "in", "!=", "not in"):
        found = np.isin(data[0], data[1]) & column.present
        return ~found if op in ("!=", "not in") else found
    compare = {">": np.greater, ">=": np.greater_equal, "<": np.less, "<=": np.less_equal}[op]
    return compare(data[0], data[1][0]) & column.present


def _typed(condition: Condition, column: Column, value: Any) -> Any:
    kind = column.type
    try:
        if kind == "int":
            number = float(value) if not isinstance(value, (int, float)) or isinstance(value, bool) else value
            if isinstance(value, bool) or float(number) != int(number):
                raise ValueError
            return int(number)
        if kind == "float":
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        if kind == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).lower()
            if text in _TRUE or text in _FALSE:
                return text in _TRUE
            raise ValueError
        return str(value)
    except (TypeError, ValueError):
        expected = {"int": "an integer", "float": "a number", "bool": "true or false"}[kind]
        raise InputError(f"filter {condition}: field {column.name!r} holds {kind} values; {value!r} is not {expected}") from None


def _comparable(column: Column, values: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """The column and the condition's values in one comparable space (strings: ranks in the sorted vocabulary)."""
    if column.type != "string":
        return column.values, np.asarray(values)  # type: ignore[return-value]
    # codes are ranks in the sorted vocabulary, so code order is string order; a value not in the vocabulary
    # gets a half-rank that compares correctly and equals no code
    ranks = []
    for value in values:
        position = bisect.bisect_left(column.vocab, value)
        exact = position < len(column.vocab) and column.vocab[position] == value
        ranks.append(float(position) if exact else position - 0.5)
    return column.codes.astype(np.float64), np.asarray(ranks)  # type: ignore[union-attr]


def _contains_any(column: Column, values: list[str]) -> np.ndarray:
    wanted = [column.vocab.index(v) for v in values if v in column.vocab]
    matches = np.isin(column.codes, wanted)  # type: ignore[arg-type]
    owners = np.repeat(np.arange(len(column.present)), np.diff(column.indptr))  # type: ignore[arg-type]
    return np.bincount(owners[matches], minlength=len(column.present)) > 0
