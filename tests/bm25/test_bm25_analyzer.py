"""The Python analyzer gives the terms of Anserini's default English analyzer (values taken from Anserini 1.7.1)."""

from __future__ import annotations

import pytest

from splade_search.bm25.analyzer import Analyzer, tokenize
from splade_search.errors import InputError

LUCENE_TERMS = {
    "John's dog's bones": ["john", "dog", "bone"],
    "U.S.A. e.g. 3.14 1,000,000 foo:bar a-b foo_bar abc123 don't rock'n'roll": [
        "u.s.a", "e.g", "3.14", "1,000,000", "foo:bar", "b", "foo_bar", "abc123", "don't", "rock'n'rol",
    ],
    "IL-6 TNF-α β-cells 5'-UTR CD4+ T cells 10% ±2 °C µm m² x²": [
        "il", "6", "tnf", "α", "β", "cell", "5", "utr", "cd4", "t", "cell", "10", "2", "c", "µm", "m", "x",
    ],
    "http://example.com/a?b=c user@mail.com": ["http", "example.com", "b", "c", "user", "mail.com"],
    "The AND of it": [],
    "日本語のテキスト カタカナ 中文": ["日", "本", "語", "の", "テキスト", "カタカナ", "中", "文"],
    "ﬁnd naïve café Straße ΟΔΟΣ İstanbul": ["ﬁnd", "naïv", "café", "straße", "οδοσ", "istanbul"],
    "soft\xadhyphen \u200eleft ©2020 ® ™ ↔ 👍🏽 wait...what 1.2.3 a.b. x,y 3,b": [
        "soft\xadhyphen", "left", "©", "2020", "®", "™", "↔", "👍🏽", "wait", "what", "1.2.3", "a.b", "x", "y", "3", "b",
    ],
}
TRICKY = list(LUCENE_TERMS)


@pytest.mark.parametrize("text", TRICKY)
def test_terms_match_anserini(text):
    assert Analyzer()(text) == LUCENE_TERMS[text]


def test_options_keep_stopwords_and_skip_stemming():
    assert Analyzer(stemmer="none", stopwords="none")("The cells of it") == ["the", "cells", "of", "it"]
    assert Analyzer(stemmer="none")("The cells of it") == ["cells"]


def test_long_words_are_cut_like_lucene():
    assert [len(t) for t in tokenize("x" * 600)] == [255, 255, 90]


def test_settings_round_trip_and_unknown_settings_are_refused():
    analyzer = Analyzer(stemmer="none")
    assert Analyzer.from_dict(analyzer.to_dict()) == analyzer
    with pytest.raises(InputError, match="stemmer"):
        Analyzer(stemmer="krovetz")
    with pytest.raises(InputError, match="lowercase"):
        Analyzer.from_dict({"lowercase": False})
