"""One reversible spelling of vocabulary tokens as feature names that search engines accept.

Elasticsearch and OpenSearch keep a sparse vector (``rank_features`` / ``sparse_vector`` fields) as a
JSON object of feature name -> weight and refuse a name with a dot (``.`` separates object paths:
``tokens.##ing``); empty names, names of blanks only and names that start with ``_`` (the engines'
own metadata fields) are refused by some versions and mappers. BERT vocabularies hold ``.``, ``...``,
``##.``, ``_`` and, in other models, tokens with spaces or control characters. Lucene's own rules
(one term per whitespace-free token, at most 32,766 UTF-8 bytes) bit the Lucene backend once already
(see `indexes.lucene.anserini`), so every export and every query builder spells tokens with `escape_token`:

- ``%`` is the escape character: each of ``%``, ``.``, every whitespace and control character is
  written as ``%XX`` per UTF-8 byte (uppercase hex), and so is a leading ``_`` (``%5F``);
- the empty token is written as a lone ``%`` (no other escaped name is);
- every other character is kept, so ``##ing``, ``[unused0]`` and ``café`` read as they are.

`unescape_token` reverses it exactly; names it did not produce (a ``%`` not followed by two
uppercase hex digits) raise `InputError`. Distinct tokens get distinct names.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from ..errors import InputError

ESCAPE = "%"
ESCAPING = (
    "feature names are tokens with '%', '.', whitespace, control characters and a leading '_' written as %XX "
    "per UTF-8 byte, and the empty token as '%' (splade_search.exports.escape_token / unescape_token)"
)
MAX_NAME_BYTES = 32766  # Lucene's longest term
_ESCAPED_RUN = re.compile(r"(?:%[0-9A-F]{2})+")
_LONE_PERCENT = re.compile(r"%(?![0-9A-F]{2})")


def _needs_escape(char: str) -> bool:
    return char in "%." or char.isspace() or unicodedata.category(char) == "Cc"


def _escaped(char: str) -> str:
    return "".join(f"%{byte:02X}" for byte in char.encode("utf-8"))


def escape_token(token: str) -> str:
    """The feature name of ``token`` (see the module docstring)."""
    if not token:
        return ESCAPE
    name = "".join(_escaped(c) if _needs_escape(c) else c for c in token)
    return _escaped("_") + name[1:] if name.startswith("_") else name


def unescape_token(name: str) -> str:
    """The token whose feature name is ``name``; `InputError` for a name `escape_token` cannot produce."""
    if name == ESCAPE:
        return ""
    if not name or _LONE_PERCENT.search(name):
        raise InputError(f"{name!r} is not an escaped token name: '%' must be followed by two uppercase hex digits")
    text = _decode_runs(name)
    if escape_token(text) != name:
        raise InputError(f"{name!r} is not an escaped token name (it would be spelled {escape_token(text)!r})")
    return text


def _decode_runs(name: str) -> str:
    """Decode each run of ``%XX`` escapes as UTF-8 bytes, keeping other characters."""
    try:
        return _ESCAPED_RUN.sub(lambda m: bytes.fromhex(m.group(0).replace("%", "")).decode("utf-8"), name)
    except UnicodeDecodeError as exc:
        raise InputError(f"{name!r} is not an escaped token name: its escapes are not UTF-8 ({exc.reason})") from None


def is_legal_name(name: str) -> bool:
    """Whether ``name`` is a feature name every supported engine accepts (what `escape_token` guarantees)."""
    return (
        bool(name)
        and not name.startswith("_")
        and not any(c == "." or c.isspace() or unicodedata.category(c) == "Cc" for c in name)
        and len(name.encode("utf-8")) <= MAX_NAME_BYTES
    )


def feature_names(vocab: Sequence[str]) -> list[str]:
    """The escaped name of each column id of ``vocab``; `InputError` for a repeated or over-long token."""
    names = [escape_token(token) for token in vocab]
    check_unique_tokens(vocab)
    long = next((t for t, n in zip(vocab, names, strict=True) if len(n.encode("utf-8")) > MAX_NAME_BYTES), None)
    if long is not None:
        raise InputError(f"token {long[:40]!r}... is longer than the {MAX_NAME_BYTES} bytes a Lucene term may hold")
    return names


def check_unique_tokens(vocab: Sequence[str]) -> None:
    """`InputError` when two columns of ``vocab`` share a token (a token -> weight mapping could not tell them apart)."""
    seen: dict[str, int] = {}
    for column, token in enumerate(vocab):
        first = seen.setdefault(token, column)
        if first != column:
            raise InputError(
                f"the vocabulary repeats token {token!r} (columns {first} and {column}), so token -> weight "
                "exports would merge them; export with --to qdrant, which keys vectors by column id"
            )
