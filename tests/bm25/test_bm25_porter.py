"""The Porter stemmer gives Lucene's PorterStemFilter stems (values taken from Lucene 9.9)."""

from __future__ import annotations

import pytest

from splade_search.bm25.porter import porter_stem

LUCENE_STEMS = {
    # where Lucene (Porter's C reference) departs from the 1980 paper / Snowball "porter"
    "technology": "technolog", "assembly": "assembl", "methodology": "methodolog", "us": "us", "is": "is",
    "ms": "ms", "s": "s", "abli": "abli", "bli": "bli",
    # classic cases of each step
    "caresses": "caress", "ponies": "poni", "ties": "ti", "cats": "cat", "feed": "feed", "agreed": "agre",
    "plastered": "plaster", "motoring": "motor", "sing": "sing", "conflated": "conflat", "troubled": "troubl",
    "sized": "size", "hopping": "hop", "tanned": "tan", "falling": "fall", "hissing": "hiss", "fizzed": "fizz",
    "failing": "fail", "filing": "file", "happy": "happi", "sky": "sky", "relational": "relat",
    "conditional": "condit", "rational": "ration", "generalization": "gener", "hopeful": "hope",
    "logically": "logic", "running": "run", "generously": "gener", "electricity": "electr",
    "adjustable": "adjust", "effective": "effect", "controlling": "control", "rolling": "roll",
    "naïve": "naïv", "abc123": "abc123", "u.s.a": "u.s.a", "don't": "don't", "cells": "cell",
}


@pytest.mark.parametrize("word", sorted(LUCENE_STEMS))
def test_stems_match_lucene(word):
    assert porter_stem(word) == LUCENE_STEMS[word]


def test_short_words_are_kept():
    assert [porter_stem(w) for w in ("", "a", "is", "as")] == ["", "a", "is", "as"]
