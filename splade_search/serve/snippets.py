"""The passage of a hit's text to show: the window where most of its matching terms occur, with their spans."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ..indexes import TermContribution

WIDTH = 300
LEAD = 60
MIN_PREFIX = 3
SCANNED_CHARS = 50_000
_WORD = re.compile(r"\w+", re.UNICODE)


def snippet(text: str, terms: Sequence[TermContribution], width: int = WIDTH) -> dict[str, Any]:
    """``{"text", "highlights"}``: up to ``width`` characters of ``text`` around the matching ``terms``.

    ``highlights`` are ``[start, end)`` character spans in the snippet of words that match a term
    (equal to it, or starting with it for word-piece prefixes of at least `MIN_PREFIX` letters).
    Terms a model added by expansion appear nowhere in the text and highlight nothing; without any
    match the snippet is the start of the text.
    """
    matches = _matches(text[:SCANNED_CHARS], terms)
    start = _best_start(matches, len(text), width)
    if start > 0:
        space = text.find(" ", start, start + LEAD)
        start = space + 1 if space >= 0 else start
    end = min(len(text), start + width)
    if end < len(text):
        cut = text.rfind(" ", start, end)
        end = cut if cut > start + width // 2 else end
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    shift = len(prefix) - start
    highlights = [[s + shift, e + shift] for s, e, _, _ in matches if s >= start and e <= end]
    return {"text": prefix + text[start:end] + suffix, "highlights": highlights}


def _matches(text: str, terms: Sequence[TermContribution]) -> list[tuple[int, int, str, float]]:
    """``(start, end, term, contribution)`` of each word of ``text`` matching one of ``terms``."""
    weights: dict[str, float] = {}
    for term in terms:
        token = term.token.lower()
        if token.isalnum() or token.replace("_", "").isalnum():
            weights[token] = max(weights.get(token, 0.0), float(term.contribution))
    if not weights:
        return []
    prefixes = sorted((t for t in weights if len(t) >= MIN_PREFIX), key=len, reverse=True)
    found = []
    for word in _WORD.finditer(text):
        lower = word.group().lower()
        term = lower if lower in weights else next((p for p in prefixes if lower.startswith(p)), None)
        if term is not None:
            found.append((word.start(), word.end(), term, weights[term]))
    return found


def _best_start(matches: list[tuple[int, int, str, float]], length: int, width: int) -> int:
    """Where a ``width``-character window holding the most weight of distinct matching terms starts."""
    if not matches or length <= width:
        return 0
    best, best_score = 0, -1.0
    for i, (first, *_) in enumerate(matches):
        seen: dict[str, float] = {}
        for start, end, term, weight in matches[i:]:
            if end - first > width - LEAD:
                break
            seen[term] = weight
        score = sum(seen.values())
        if score > best_score:
            best, best_score = first, score
    return max(0, min(best - LEAD, length - width))
