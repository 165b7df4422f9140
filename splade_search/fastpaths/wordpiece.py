"""Pure-Python BERT WordPiece with per-character and per-word caches, exact against the rust tokenizer.

The rust ``tokenizers`` call spends most of its time on offsets, alignments and Python objects that a
bag-of-words query encoder never reads. The BERT pipeline (BertNormalizer, BertPreTokenizer, WordPiece)
works character by character, so :class:`PyWordPiece` asks the rust normalizer and pre-tokenizer once
per non-ASCII character what becomes of it (deleted or replaced by ASCII, isolated punctuation,
whitespace, or part of a word) and replays that; ASCII is lowercased, split into alphanumeric runs and
single punctuation characters, then matched greedily against the vocabulary. :meth:`PyWordPiece.ids`
returns ``None`` (ask the rust tokenizer) for what it does not reproduce: ASCII control characters, a
character of any other kind (e.g. CJK, padded with spaces), and text holding an added token.
"""

from __future__ import annotations

import json
import re
import string
from itertools import chain
from typing import Any

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # also the mark of an unsupported character
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_PIECES = re.compile(r"[^\s!-/:-@\[-`{-~]+|[!-/:-@\[-`{-~]")  # BertPreTokenizer: words, single punctuation
_UNSUPPORTED = "\x00"
_CACHE_LIMIT = 200_000


class PyWordPiece:
    """Token ids of texts as a BertNormalizer + BertPreTokenizer + WordPiece rust tokenizer gives them."""

    def __init__(self, backend: Any, vocab: dict[str, int], unk_token: str, prefix: str, max_word_chars: int,
                 lowercase: bool, added: list[str]) -> None:
        self.normalizer, self.pre_tokenizer = backend.normalizer, backend.pre_tokenizer
        self.vocab = vocab
        self.unk = (vocab[unk_token],)
        self.prefix = prefix
        self.max_word_chars = max_word_chars
        self.lowercase = lowercase
        texts = sorted({a for text in added if text for a in (text, text.lower())}, key=len, reverse=True)
        self.added = re.compile("|".join(map(re.escape, texts))) if texts else None
        self.chars: dict[str, str] = {}
        self.words: dict[str, tuple[int, ...]] = {}

    @classmethod
    def from_backend(cls, backend: Any) -> "PyWordPiece | None":
        """Built from a ``tokenizers.Tokenizer`` whose pipeline is exactly the BERT one, else None."""
        config = json.loads(backend.to_str())
        normalizer, pre, model = config.get("normalizer") or {}, config.get("pre_tokenizer") or {}, config.get("model") or {}
        if normalizer.get("type") != "BertNormalizer" or pre != {"type": "BertPreTokenizer"} or model.get("type") != "WordPiece":
            return None
        vocab, unk = model.get("vocab"), model.get("unk_token")
        if not isinstance(vocab, dict) or unk not in vocab or not isinstance(model.get("max_input_chars_per_word"), int):
            return None
        added = [str(token.get("content", "")) for token in config.get("added_tokens") or []]
        return cls(backend, vocab, unk, str(model.get("continuing_subword_prefix", "##")),
                   model["max_input_chars_per_word"], bool(normalizer.get("lowercase", True)), added)

    def _split(self, text: str) -> list[str]:
        return [piece for piece, _ in self.pre_tokenizer.pre_tokenize_str(text)]

    def _word_char(self, ch: str) -> bool:
        if ch.isascii():
            return ch.isalnum()
        stable = not self.lowercase or ch.lower() == ch
        return stable and not ch.isspace() and self._split(f"a{ch}a") == [f"a{ch}a"]

    def _classify(self, ch: str) -> str:
        """What replaces the non-ASCII character ``ch`` before the ASCII rules run."""
        out = self.normalizer.normalize_str(ch)
        if out.isascii():
            return out if all(c.isalnum() or c in string.punctuation or c in " \t\n\r" for c in out) else _UNSUPPORTED
        pieces = self._split(f"a{out}a")
        if pieces == ["a", "a"]:
            return " "
        if len(out) == 1 and pieces == ["a", out, "a"] and (not self.lowercase or out.lower() == out) and not out.isspace():
            return f" {out} "  # isolated punctuation: a word of its own
        if pieces == [f"a{out}a"] and all(self._word_char(c) for c in out):
            return out
        return _UNSUPPORTED

    def _substitute(self, match: re.Match) -> str:
        ch = match.group()
        found = self.chars.get(ch)
        if found is None:
            found = self.chars[ch] = self._classify(ch)
        return found

    def word_ids(self, word: str) -> tuple[int, ...]:
        """Greedy longest-match-first WordPiece of one word; the unknown token when a piece is missing."""
        if len(word) > self.max_word_chars:
            return self.unk
        ids, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else self.prefix + word[start:end]
                found = self.vocab.get(piece)
                if found is not None:
                    break
                end -= 1
            else:
                return self.unk
            ids.append(found)
            start = end
        return tuple(ids)

    def ids(self, text: str) -> list[int] | None:
        """All token ids of ``text`` (not truncated), or None when the rust tokenizer must decide."""
        raw = text
        if not text.isascii():
            text = _NON_ASCII.sub(self._substitute, text)
        if _CONTROL.search(text):
            return None
        if self.lowercase:
            text = text.lower()
        if self.added is not None and (self.added.search(text) or (raw is not text and self.added.search(raw))):
            return None
        words = self.words
        if len(words) > _CACHE_LIMIT:
            words.clear()
        pieces = _PIECES.findall(text)
        found = list(map(words.get, pieces))
        if None in found:
            for i, (word, ids) in enumerate(zip(pieces, found)):
                if ids is None:
                    found[i] = words[word] = self.word_ids(word)
        return list(chain.from_iterable(found))
