"""A readable hit: the matching passage trimmed around its densest matches, the query's strongest terms marked."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .split import tokens_with_offsets

DEFAULT_SNIPPET_CHARS = 240
DEFAULT_MARKED_TERMS = 8
_MAX_WORD = 40  # a snippet edge inside a longer run of non-space characters is cut there


@dataclass(frozen=True)
class Snippet:
    """``text`` is ``passage[start:end]``; ``marks`` are ``(start, end)`` offsets of matched words in ``text``;
    ``clipped_start`` / ``clipped_end`` say whether the passage goes on before / after it."""

    text: str
    start: int
    end: int
    marks: tuple[tuple[int, int], ...]
    clipped_start: bool
    clipped_end: bool

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values (for ``--json``)."""
        return {
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "marks": [list(mark) for mark in self.marks],
            "clipped_start": self.clipped_start,
            "clipped_end": self.clipped_end,
        }


def make_snippet(
    passage: str,
    tokenizer: Any,
    terms: Iterable[Any] | Mapping[str, float],
    *,
    size: int = DEFAULT_SNIPPET_CHARS,
    max_terms: int = DEFAULT_MARKED_TERMS,
) -> Snippet:
    """The snippet of ``passage``: about ``size`` characters around its densest matches, cut between words.

    ``terms``: the query's matching terms with their contributions, as `SparseIndex.explain` returns
    them (``TermContribution``), or a mapping token -> weight; the ``max_terms`` strongest are marked,
    each as the whole word it is a piece of (WordPiece ``##`` pieces mark their word).
    """
    weights = _strongest(terms, max_terms)
    words = _matched_words(passage, tokenizer, weights) if weights and passage else []
    start, end = _window(passage, words, max(1, size))
    marks = tuple((a - start, b - start) for a, b, _ in words if a >= start and b <= end)
    return Snippet(passage[start:end], start, end, marks, start > 0, end < len(passage.rstrip()))


def render_rich(snippet: Snippet, style: str = "bold") -> str:
    """Rich console markup of ``snippet``: marks in ``style``, the text's own brackets escaped, "…" where clipped."""
    from rich.markup import escape

    parts = ["…"] if snippet.clipped_start else []
    cursor = 0
    for a, b in snippet.marks:
        parts.append(escape(snippet.text[cursor:a]))
        parts.append(f"[{style}]{escape(snippet.text[a:b])}[/{style}]")
        cursor = b
    tail = escape(snippet.text[cursor:])
    if tail.endswith("\\\\") and not snippet.text.endswith("\\\\"):
        tail = tail[:-1]  # rich doubles a final backslash for a tag that follows; none follows here
    parts.append(tail)
    if snippet.clipped_end:
        parts.append("…")
    return "".join(parts)


def _strongest(terms: Iterable[Any] | Mapping[str, float], max_terms: int) -> dict[str, float]:
    pairs = terms.items() if isinstance(terms, Mapping) else ((t.token, t.contribution) for t in terms)
    positive = sorted(((float(w), tok) for tok, w in pairs if float(w) > 0), reverse=True)[:max_terms]
    return {token: weight for weight, token in positive}


def _matched_words(passage: str, tokenizer: Any, weights: dict[str, float]) -> list[tuple[int, int, float]]:
    """``(start, end, weight)`` of each word holding a marked token, in text order."""
    encoding = tokens_with_offsets(tokenizer, passage)
    tokens = tokenizer.convert_ids_to_tokens(encoding["input_ids"])
    offsets = encoding["offset_mapping"]
    word_ids = encoding.word_ids()
    spans: dict[Any, list[int]] = {}
    for i, word in enumerate(word_ids):
        key = ("token", i) if word is None else word
        a, b = offsets[i]
        span = spans.setdefault(key, [a, b])
        span[0], span[1] = min(span[0], a), max(span[1], b)
    matched: dict[Any, dict[str, float]] = {}
    for i, token in enumerate(tokens):
        if token in weights:
            key = ("token", i) if word_ids[i] is None else word_ids[i]
            matched.setdefault(key, {})[token] = weights[token]
    words = [(spans[key][0], spans[key][1], sum(found.values())) for key, found in matched.items()]
    return sorted(w for w in words if w[1] > w[0])


def _window(passage: str, words: list[tuple[int, int, float]], size: int) -> tuple[int, int]:
    """The character range of the snippet: the densest run of matches fitting ``size``, widened to ``size``."""
    text_start = len(passage) - len(passage.lstrip())
    text_end = len(passage.rstrip())
    if text_end - text_start <= size:
        return text_start, text_end
    low, high = text_start, text_start
    if words:
        best, total, i = -1.0, 0.0, 0
        for j, (_, end, weight) in enumerate(words):
            total += weight
            while end - words[i][0] > size and i < j:
                total -= words[i][2]
                i += 1
            if total > best:
                best, low, high = total, words[i][0], end
    pad = max(0, size - (high - low)) // 2
    start = max(text_start, low - pad)
    end = min(text_end, max(high, start + size))
    start = max(text_start, min(start, end - size))
    return _word_start(passage, start, text_start), _word_end(passage, end, text_end)


def _word_start(text: str, position: int, floor: int) -> int:
    """``position`` moved back to the start of the word it falls in (if near), then past whitespace."""
    back = position
    while back > floor and not text[back - 1].isspace() and position - back < _MAX_WORD:
        back -= 1
    if back == floor or text[back - 1].isspace():
        position = back
    while position < len(text) and text[position].isspace():
        position += 1
    return position


def _word_end(text: str, position: int, ceiling: int) -> int:
    """``position`` moved forward to the end of the word it falls in (if near), then back over whitespace."""
    ahead = position
    while ahead < ceiling and not text[ahead].isspace() and ahead - position < _MAX_WORD:
        ahead += 1
    if ahead == ceiling or text[ahead].isspace():
        position = ahead
    while position > 0 and text[position - 1].isspace():
        position -= 1
    return position
