"""Text to BM25 terms the way Anserini's default English analyzer does it, in Python.

Anserini's ``DefaultEnglishAnalyzer`` is Lucene's ``StandardTokenizer`` (Unicode UAX #29 word
boundaries), ``EnglishPossessiveFilter`` (drops a trailing ``'s``), ``LowerCaseFilter``, a
``StopFilter`` with Lucene's 33 English stop words and ``PorterStemFilter``. `Analyzer` follows the
same chain: a regular expression for the word boundaries of letters, digits and their joiners
(``U.S.A``, ``3.14``, ``1,000``, ``don't``, ``foo_bar``; one token per Han or Hiragana character),
per-character lower-casing as Java does it, the same stop words and `porter.porter_stem`. On BEIR
SciFact and ArguAna it gives Lucene's terms for all but a handful of tokens (see ``eval/bm25.md``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import regex

from ..errors import InputError
from .porter import porter_stem

# Lucene's EnglishAnalyzer.ENGLISH_STOP_WORDS_SET
ENGLISH_STOP_WORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their then there these "
    "they this to was will with".split()
)
STEMMERS = ("porter", "none")
STOPWORD_SETS = ("english", "none")
MAX_TOKEN_LENGTH = 255  # StandardTokenizer's default: longer words are cut into pieces of this length

_EXTEND = r"\p{WB=Extend}\p{WB=Format}\p{WB=ZWJ}"  # belong to the character before them (UAX #29 WB4)
_LETTER = r"\p{WB=ALetter}\p{WB=Hebrew_Letter}"
_DIGIT = r"\p{WB=Numeric}"
_MID_LETTER = r"\p{WB=MidLetter}"
_MID_BOTH = r"\p{WB=MidNumLet}\p{WB=Single_Quote}"
_MID_NUM = r"\p{WB=MidNum}"
_UNITS = rf"[{_LETTER}{_DIGIT}\p{{WB=ExtendNumLet}}][{_LETTER}{_DIGIT}\p{{WB=ExtendNumLet}}{_EXTEND}]*"
_EMOJI = rf"\p{{Extended_Pictographic}}[\p{{Emoji_Modifier}}{_EXTEND}]*"
_TOKEN = regex.compile(
    rf"{_UNITS}(?:[{_MID_LETTER}{_MID_BOTH}{_MID_NUM}]{_UNITS})*"  # a word, if its joiners join (see _split)
    rf"|\p{{WB=Katakana}}[\p{{WB=Katakana}}\p{{WB=ExtendNumLet}}{_EXTEND}]*"
    rf"|\p{{Line_Break=Complex_Context}}+"  # Thai, Lao, Khmer, Myanmar: one token per run, as Lucene does
    rf"|[\p{{Ideographic}}\p{{Hiragana}}][{_EXTEND}]*"  # one token per character
    rf"|{_EMOJI}(?:\u200D{_EMOJI})*",  # an emoji, or an emoji sequence joined by ZWJ
    regex.VERSION1,
)
_WORD_CHARACTER = regex.compile(
    rf"[{_LETTER}{_DIGIT}\p{{WB=Katakana}}\p{{Ideographic}}\p{{Hiragana}}\p{{Line_Break=Complex_Context}}\p{{Extended_Pictographic}}]",
    regex.VERSION1,
)
_JOINER = regex.compile(rf"[{_MID_LETTER}{_MID_BOTH}{_MID_NUM}]", regex.VERSION1)
_JOINS_LETTERS = regex.compile(rf"[{_MID_LETTER}{_MID_BOTH}]", regex.VERSION1)
_JOINS_DIGITS = regex.compile(rf"[{_MID_NUM}{_MID_BOTH}]", regex.VERSION1)
_IS_LETTER = regex.compile(rf"[{_LETTER}]", regex.VERSION1)
_IS_DIGIT = regex.compile(rf"[{_DIGIT}]", regex.VERSION1)
_IS_EXTEND = regex.compile(rf"[{_EXTEND}]", regex.VERSION1)
_POSSESSIVE_QUOTES = frozenset("'\u2019\uFF07")
_JAVA_LOWER = {"\u0130": "i"}  # Java lower-cases one code point at a time, never into two


@dataclass(frozen=True)
class Analyzer:
    """Anserini's default English analysis: tokenise, drop possessives, lower-case, stop words, stem.

    ``stemmer``: ``"porter"`` (Anserini's default) or ``"none"``; ``stopwords``: ``"english"``
    (Lucene's set, Anserini's default) or ``"none"`` (Anserini's ``-keepStopwords``).
    """

    stemmer: str = "porter"
    stopwords: str = "english"

    def __post_init__(self) -> None:
        if self.stemmer not in STEMMERS:
            raise InputError(f"unknown BM25 stemmer {self.stemmer!r}; choose one of {', '.join(STEMMERS)}")
        if self.stopwords not in STOPWORD_SETS:
            raise InputError(f"unknown BM25 stop word set {self.stopwords!r}; choose one of {', '.join(STOPWORD_SETS)}")

    def __call__(self, text: str) -> list[str]:
        """The terms of ``text``, in order (repeated terms repeated)."""
        stop = ENGLISH_STOP_WORDS if self.stopwords == "english" else frozenset()
        stem = porter_stem if self.stemmer == "porter" else _same
        terms = []
        for token in tokenize(text):
            token = java_lower(strip_possessive(token))
            if token and token not in stop:
                terms.append(stem(token))
        return terms

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON settings (what `from_dict` reads)."""
        return {"name": "anserini-default-english", **asdict(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Analyzer:
        """The analyzer ``data`` describes (as `to_dict` writes it); `InputError` for unknown settings."""
        unknown = sorted(set(data) - {"name", "stemmer", "stopwords"})
        if unknown:
            raise InputError(f"unknown BM25 analyzer settings: {', '.join(unknown)}")
        return cls(stemmer=data.get("stemmer", "porter"), stopwords=data.get("stopwords", "english"))


def tokenize(text: str) -> list[str]:
    """Words of ``text`` as Lucene's ``StandardTokenizer`` splits it (case kept)."""
    tokens = []
    for match in _TOKEN.finditer(text):
        token = match.group()
        for word in _split(token) if _JOINER.search(token) else (token,):
            if not _WORD_CHARACTER.search(word):
                continue
            if len(word) > MAX_TOKEN_LENGTH:
                tokens.extend(word[i : i + MAX_TOKEN_LENGTH] for i in range(0, len(word), MAX_TOKEN_LENGTH))
            else:
                tokens.append(word)
    return tokens


def _split(candidate: str) -> list[str]:
    """``candidate`` cut at every joiner (``.``, ``'``, ``,``, ``:``...) that does not join two letters or two digits."""
    words, start = [], 0
    for joiner in _JOINER.finditer(candidate):
        at = joiner.start()
        before, after = _base_character(candidate, at), candidate[at + 1]
        mark = joiner.group()
        letters = bool(_IS_LETTER.match(before) and _IS_LETTER.match(after) and _JOINS_LETTERS.match(mark))
        digits = bool(_IS_DIGIT.match(before) and _IS_DIGIT.match(after) and _JOINS_DIGITS.match(mark))
        if not (letters or digits):
            words.append(candidate[start:at])
            start = at + 1
    words.append(candidate[start:])
    return words


def _base_character(text: str, end: int) -> str:
    """The last character before ``end`` that is not a combining mark or format character."""
    at = end - 1
    while at > 0 and _IS_EXTEND.match(text[at]):
        at -= 1
    return text[at]


def strip_possessive(token: str) -> str:
    """``token`` without a trailing ``'s`` (Lucene's ``EnglishPossessiveFilter``)."""
    if len(token) >= 2 and token[-1] in "sS" and token[-2] in _POSSESSIVE_QUOTES:
        return token[:-2]
    return token


def java_lower(token: str) -> str:
    """``token`` lower-cased one character at a time, as Java's ``Character.toLowerCase`` does."""
    if token.isascii():
        return token.lower()
    return "".join(_lower_char(ch) for ch in token)


def _lower_char(ch: str) -> str:
    lowered = ch.lower()
    return lowered if len(lowered) == 1 else _JAVA_LOWER.get(ch, ch)


def _same(token: str) -> str:
    return token
