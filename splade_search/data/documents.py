"""The ``Document`` record and its construction from a parsed record (a JSON object, a table row)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import DataFormatError

DEFAULT_ID_FIELDS = ("_id", "id")
_WHITESPACE = re.compile(r"\s")


@dataclass(frozen=True, slots=True)
class Document:
    """One corpus entry: a unique id, an optional title, the text, and metadata fields (for filters and hits).

    ``metadata`` holds a record's other fields (JSONL keys, CSV/parquet columns) or, for a file of a
    text folder, its path, extension, size and modification time.
    """

    id: str
    title: str = ""
    text: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict, hash=False)

    @property
    def is_empty(self) -> bool:
        """True when neither title nor text holds anything but whitespace."""
        return not (self.title.strip() or self.text.strip())


@dataclass(frozen=True, slots=True)
class Fields:
    """Which record fields hold a document's id, title and text.

    ``id=None`` means ``_id``, falling back to ``id``; ``title=None`` means documents have no title.
    """

    id: str | None = None
    title: str | None = "title"
    text: str = "text"

    @property
    def id_candidates(self) -> tuple[str, ...]:
        """The field names tried, in order, for the id."""
        return DEFAULT_ID_FIELDS if self.id is None else (self.id,)


def document_from_record(record: Mapping[str, Any], where: str, fields: Fields) -> Document:
    """Build a :class:`Document` from one parsed record found at ``where`` (e.g. ``"corpus.jsonl, line 3"``).

    Ids may be strings or integers. Title and text must be strings; null counts as empty and a
    missing title as no title. Anything else raises :class:`DataFormatError` naming place and field.
    """
    id_field = next((name for name in fields.id_candidates if name in record), None)
    if id_field is None:
        raise DataFormatError(
            f"{where}: no id field {_names(fields.id_candidates)} (fields present: {_names(record)}); "
            "pass id_field=... to name the id column"
        )
    if fields.text not in record:
        raise DataFormatError(
            f"{where}: no text field {fields.text!r} (fields present: {_names(record)}); "
            "pass text_field=... to name the text column"
        )
    title = _text_value(record, fields.title, where) if fields.title else ""
    used = {id_field, fields.text, *([fields.title] if fields.title else []), *DEFAULT_ID_FIELDS}
    return Document(
        id=id_value(record[id_field], where, id_field),
        title=title,
        text=_text_value(record, fields.text, where),
        metadata={key: plain_value(value) for key, value in record.items() if key not in used and value not in (None, "")},
    )


def plain_value(value: Any) -> Any:
    """``value`` as plain JSON data: numpy scalars and arrays as Python numbers and lists, dates as ISO 8601
    strings, tuples as lists, mappings recursively (so metadata survives a JSON round trip unchanged)."""
    if isinstance(value, Mapping):
        return {str(key): plain_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)) or type(value).__name__ == "ndarray":
        return [plain_value(item) for item in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    return value


def id_value(value: Any, where: str, field: str) -> str:
    """An id as a non-empty string without whitespace; integers are converted.

    Other types, empty ids and ids holding whitespace (a space, tab or line break, which TREC run and
    qrels files cannot hold) raise :class:`DataFormatError`.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise DataFormatError(f"{where}: field {field!r} must be a string or an integer, got {_kind(value)}")
    if not value.strip():
        raise DataFormatError(f"{where}: field {field!r} is empty; every record needs an id")
    if _WHITESPACE.search(value):
        raise DataFormatError(
            f"{where}: id {_shown(value)} in field {field!r} holds whitespace; "
            "ids cannot contain spaces, tabs or line breaks (TREC run files separate fields by whitespace)"
        )
    return value


def _text_value(record: Mapping[str, Any], field: str, where: str) -> str:
    value = record.get(field)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise DataFormatError(f"{where}: field {field!r} must be a string or null, got {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    return f"{type(value).__name__} {_shown(value)}"


def _shown(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def _names(names: Any) -> str:
    return ", ".join(repr(name) for name in names) or "none"
