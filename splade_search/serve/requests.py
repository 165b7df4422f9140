"""What a client may send: the request bodies of ``/search`` and ``/encode``, with their limits.

Unknown fields are refused (``extra="forbid"``), so a misspelt option is an error rather than
silently ignored. A new search option (a filter, passages, a hybrid setting) is one more field of
`SearchRequest` plus its entry in `SEARCH_KEYWORDS`: the server passes it to the retriever's
``search_batch`` as that keyword, and answers 422 naming the field when the served retriever does
not take it.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..indexes.knobs import KnobValue

MAX_QUERY_CHARS = 4096
MAX_K = 1000
MAX_ENCODE_TEXTS = 64
MAX_TEXT_CHARS = 20_000
MAX_BODY_BYTES = 1 << 20
MAX_KNOBS = 8


# request field -> keyword argument of ``Retriever.search_batch`` (sent only when the client sets it)
SEARCH_KEYWORDS = {"explain": "explain"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be an integer, not true/false")
    return value


def _some_text(value: str) -> str:
    if not value.strip():
        raise ValueError("is empty; give some text to search for")
    return value


class SearchRequest(_Strict):
    """One query and how to search for it."""

    q: str = Field(min_length=1, max_length=MAX_QUERY_CHARS, description="The query text.")
    k: int = Field(10, ge=1, le=MAX_K, description="Hits to return.")
    explain: bool = Field(False, description="Give each hit the terms it shares with the query (query x document weights).")
    mode: Literal["exact", "pruned", "approximate"] | None = Field(
        None, description="Search mode (default: the server's); sparse indexes only."
    )
    knobs: dict[str, KnobValue] | None = Field(
        None, max_length=MAX_KNOBS, description="Options of the search mode, e.g. {\"budget\": 0.05} for approximate."
    )

    _k = field_validator("k", mode="before")(_no_bool)
    _q = field_validator("q")(_some_text)

    @field_validator("knobs")
    @classmethod
    def _finite(cls, knobs: dict[str, KnobValue] | None) -> dict[str, KnobValue] | None:
        for name, value in (knobs or {}).items():
            if not name.isidentifier():
                raise ValueError(f"{name[:40]!r} is not an option name")
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"{name} must be a finite number")
        return knobs

    def search_keywords(self) -> dict[str, Any]:
        """The options the client set, as ``search_batch`` keyword arguments."""
        return {SEARCH_KEYWORDS[name]: getattr(self, name) for name in SEARCH_KEYWORDS if name in self.model_fields_set}


class EncodeRequest(_Strict):
    """Texts to turn into sparse vectors with the served model."""

    texts: list[str] = Field(min_length=1, max_length=MAX_ENCODE_TEXTS, description="Texts to encode.")
    kind: Literal["query", "document"] = Field("query", description="Encode as queries or as documents.")
    top: int | None = Field(None, ge=1, le=10_000, description="Keep only the largest weights of each vector.")

    _top = field_validator("top", mode="before")(_no_bool)

    @field_validator("texts")
    @classmethod
    def _sizes(cls, texts: list[str]) -> list[str]:
        for i, text in enumerate(texts):
            if not text.strip():
                raise ValueError(f"text {i} is empty")
            if len(text) > MAX_TEXT_CHARS:
                raise ValueError(f"text {i} has {len(text):,} characters; at most {MAX_TEXT_CHARS:,} are accepted")
        return texts
