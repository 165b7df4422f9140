"""Split a document's text into overlapping windows of the model's own tokens, as character spans.

The text is tokenized once (a fast tokenizer's character offsets), so splitting is linear in its
length. A window holds at most ``settings.tokens`` content tokens and never more than the model
reads once the title (prepended to every passage, see `passage_texts`) and the special tokens are
added. Windows end between words; with a boundary mode they end at the last sentence or paragraph
boundary in their second half, and the next window starts at a boundary inside the overlap.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import InputError, ModelFormatError
from .settings import PassageSettings

Span = tuple[int, int]

_PARAGRAPH = re.compile(r"\n[^\S\n]*\n\s*")
_SENTENCE = re.compile(r"[.!?\u3002\uff01\uff1f][\"'\u201d\u2019)\]]*\s+")
# tokenizers whose tokens of a text are the tokens of its whitespace-separated words: a window cut
# between words re-tokenizes to exactly its own tokens, so no passage needs re-counting
_WORD_PRE_TOKENIZERS = {"BertPreTokenizer", "Whitespace", "WhitespaceSplit"}
_WORD_MODELS = {"WordPiece", "WordLevel"}
_CHAR_NORMALIZERS = {"BertNormalizer", "Lowercase", "StripAccents", "NFD", "NFC", "NFKD", "NFKC", "Sequence"}


def tokens_with_offsets(tokenizer: Any, text: str) -> Any:
    """The tokenizer's encoding of ``text`` alone (no special tokens, no truncation) with character offsets."""
    return tokenizer(
        text,
        add_special_tokens=False,
        return_offsets_mapping=True,
        return_attention_mask=False,
        return_token_type_ids=False,
        truncation=False,
        verbose=False,
    )


def passage_texts(title: str, text: str, spans: Sequence[Span]) -> list[str]:
    """What each passage is encoded from: the title, a space, then ``text[start:end]`` (as whole documents are)."""
    return [f"{title} {text[start:end]}".strip() if title else text[start:end] for start, end in spans]


class PassageSplitter:
    """Cuts texts into passage spans for one tokenizer, settings and model length (``max_length`` tokens).

    ``lowercase``: the model lowercases texts before its tokenizer sees them (``do_lower_case``).
    """

    def __init__(self, tokenizer: Any, settings: PassageSettings, max_length: int, *, lowercase: bool = False) -> None:
        if not getattr(tokenizer, "is_fast", False):
            raise ModelFormatError(
                f"passages need a fast tokenizer with character offsets; {type(tokenizer).__name__} has none "
                "(save the model with its tokenizer.json)"
            )
        self.tokenizer = tokenizer
        self.settings = settings
        self.max_length = int(max_length)
        self._specials = tokenizer.num_special_tokens_to_add(pair=False)
        room = self.max_length - self._specials
        if settings.tokens > room:
            raise InputError(
                f"--passage-tokens {settings.tokens} does not fit the model: it reads {self.max_length} tokens, "
                f"{self._specials} of them special; use at most {room}"
            )
        self._lowercase = lowercase
        self._exact_counts = _tokens_are_per_word(tokenizer) and not lowercase

    @classmethod
    def for_model(cls, model: Any, settings: PassageSettings) -> PassageSplitter:
        """A splitter for a `SparseEncoder`: its tokenizer, its ``max_seq_length`` and its lowercasing."""
        max_length = model.max_seq_length or model.tokenizer.model_max_length
        lowercase = bool(getattr(getattr(model, "input_module", None), "do_lower_case", False))
        return cls(model.tokenizer, settings, max_length, lowercase=lowercase)

    def spans(self, text: str, title: str = "") -> list[Span]:
        """Character spans of ``text``'s passages, in order; ``[(0, 0)]`` (the title alone) when it has no tokens.

        Raises `InputError` when the title leaves less than a quarter of ``--passage-tokens`` per passage.
        """
        window, overlap = self._window(title)
        encoding = tokens_with_offsets(self.tokenizer, text)
        n = len(encoding["input_ids"])
        if n == 0:
            return [(0, 0)]
        starts = np.array(encoding["offset_mapping"], dtype=np.int64).reshape(n, 2)[:, 0]
        words = np.array([-1 if w is None else w for w in encoding.word_ids()], dtype=np.int64)
        word_start = np.ones(n, dtype=bool)
        word_start[1:] = (words[1:] != words[:-1]) | (words[1:] < 0)
        cuts = _Cuts(text, starts, word_start, self.settings.boundary)
        spans: list[Span] = []
        start, previous_end = 0, 0
        while True:
            end = n if start + window >= n else cuts.end(start, window, previous_end)
            if not (self._exact_counts and word_start[start] and (end == n or word_start[end])):
                end = self._shrink_to_fit(text, title, cuts, start, end)
            span = cuts.span(start, end)
            if text[span[0] : span[1]].strip():
                spans.append(span)
            if end >= n:
                break
            start, previous_end = cuts.next_start(start, end, window, overlap), end
        return spans or [(0, 0)]

    def _window(self, title: str) -> tuple[int, int]:
        tokens, overlap = self.settings.tokens, self.settings.overlap
        title_tokens = self._count(title, specials=False) if title.strip() else 0
        window = min(tokens, self.max_length - self._specials - title_tokens)
        if window < max(1, tokens // 4):
            raise InputError(
                f"a title of {title_tokens} tokens leaves {max(window, 0)} of the model's {self.max_length} tokens "
                f"per passage (--passage-tokens {tokens}): shorten the title or index it as text"
            )
        return window, overlap if window == tokens else overlap * window // tokens

    def _shrink_to_fit(self, text: str, title: str, cuts: _Cuts, start: int, end: int) -> int:
        """The window's end, moved back until title + passage + special tokens fit the model."""
        while end > start + 1:
            span = cuts.span(start, end)
            excess = self._count(passage_texts(title, text, [span])[0], specials=True) - self.max_length
            if excess <= 0:
                break
            end = max(start + 1, end - excess)
        return end

    def _count(self, text: str, *, specials: bool) -> int:
        text = text.lower() if self._lowercase else text
        ids = self.tokenizer(text, add_special_tokens=specials, truncation=False, verbose=False)["input_ids"]
        return len(ids)


class _Cuts:
    """Where windows over one tokenized text may end and begin (token positions, 0..n)."""

    def __init__(self, text: str, starts: np.ndarray, word_start: np.ndarray, boundary: str) -> None:
        self.text, self.starts, self.n = text, starts, len(starts)
        self.word_starts = np.flatnonzero(word_start)
        self.sentences = _boundary_tokens(text, starts, _SENTENCE, _PARAGRAPH) if boundary != "none" else None
        self.paragraphs = _boundary_tokens(text, starts, _PARAGRAPH) if boundary == "paragraph" else None

    def end(self, start: int, window: int, previous_end: int) -> int:
        """Where a window from ``start`` ends: the last boundary, else word start, in its second half."""
        limit = start + window
        low = max(previous_end, start + window // 2)
        for candidates in (self.paragraphs, self.sentences, self.word_starts):
            cut = _last_in(candidates, low, limit)
            if cut is not None:
                return cut
        return limit

    def next_start(self, start: int, end: int, window: int, overlap: int) -> int:
        """Where the window after ``[start, end)`` begins: ``overlap`` tokens back, moved to the nearest
        sentence boundary within twice the overlap (boundary modes), else to a word start."""
        if overlap == 0:
            return end
        low = start + max(1, (window - overlap) // 2)
        target = max(end - overlap, low)
        if self.sentences is not None:
            found = _nearest_in(self.sentences, max(end - 2 * overlap, low), end - 1, target)
            if found is not None:
                return found
        found = _first_in(self.word_starts, target, end)
        return target if found is None else found

    def span(self, start: int, end: int) -> Span:
        """The characters of tokens ``[start, end)``, without surrounding whitespace."""
        first = 0 if start == 0 else int(self.starts[start])
        last = len(self.text) if end >= self.n else int(self.starts[end])
        while first < last and self.text[first].isspace():
            first += 1
        while last > first and self.text[last - 1].isspace():
            last -= 1
        return first, last


def _boundary_tokens(text: str, starts: np.ndarray, *patterns: re.Pattern[str]) -> np.ndarray:
    """Token positions right after a match of any pattern (the first token of a sentence or paragraph)."""
    ends = sorted({m.end() for pattern in patterns for m in pattern.finditer(text)})
    positions = np.searchsorted(starts, np.asarray(ends, dtype=np.int64), side="left")
    return np.unique(positions[(positions > 0) & (positions < len(starts))])


def _last_in(sorted_positions: np.ndarray | None, low: int, high: int) -> int | None:
    """The largest position p with low < p <= high."""
    if sorted_positions is None:
        return None
    i = int(np.searchsorted(sorted_positions, high, side="right")) - 1
    return int(sorted_positions[i]) if i >= 0 and sorted_positions[i] > low else None


def _first_in(sorted_positions: np.ndarray | None, low: int, high: int) -> int | None:
    """The smallest position p with low <= p <= high."""
    if sorted_positions is None:
        return None
    i = int(np.searchsorted(sorted_positions, low, side="left"))
    return int(sorted_positions[i]) if i < len(sorted_positions) and sorted_positions[i] <= high else None


def _nearest_in(sorted_positions: np.ndarray, low: int, high: int, target: int) -> int | None:
    """The position p with low <= p <= high closest to ``target`` (the later one on a tie)."""
    i = int(np.searchsorted(sorted_positions, low, side="left"))
    j = int(np.searchsorted(sorted_positions, high, side="right"))
    inside = sorted_positions[i:j]
    if not len(inside):
        return None
    distances = np.abs(inside - target)
    return int(inside[len(inside) - 1 - int(np.argmin(distances[::-1]))])


def _tokens_are_per_word(tokenizer: Any) -> bool:
    """True when the tokenizer tokenizes each whitespace/punctuation-separated word on its own."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        return False
    try:
        config = json.loads(backend.to_str())
    except (ValueError, TypeError, AttributeError):
        return False
    pre, model, normalizer = config.get("pre_tokenizer") or {}, config.get("model") or {}, config.get("normalizer")
    return (
        pre.get("type") in _WORD_PRE_TOKENIZERS
        and model.get("type") in _WORD_MODELS
        and (normalizer is None or _char_normalizer(normalizer))
    )


def _char_normalizer(config: dict[str, Any]) -> bool:
    if config.get("type") == "Sequence":
        return all(_char_normalizer(part) for part in config.get("normalizers", []))
    return config.get("type") in _CHAR_NORMALIZERS
