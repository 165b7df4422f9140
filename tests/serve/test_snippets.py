"""Snippets: the window of a long text where the matching terms are, with their spans."""

from __future__ import annotations

from splade_search.indexes import TermContribution
from splade_search.serve.snippets import WIDTH, snippet


def term(token: str, contribution: float = 1.0) -> TermContribution:
    return TermContribution(token, 1.0, contribution, contribution)


def test_the_window_holds_the_matching_words_and_marks_them() -> None:
    text = "filler words here " * 40 + "Insulin resistance causes diabetes in adults. " + "more filler text " * 40
    got = snippet(text, [term("diabetes"), term("insulin", 0.5), term("##ulin"), term("causes", 0.1)])
    assert got["text"].startswith("…") and got["text"].endswith("…") and len(got["text"]) <= WIDTH + 2
    marked = [got["text"][s:e] for s, e in got["highlights"]]
    assert marked == ["Insulin", "causes", "diabetes"]


def test_word_piece_prefixes_match_whole_words_and_short_pieces_do_not() -> None:
    got = snippet("Diabetic patients and an apple", [term("diabet"), term("an"), term("pat")])
    assert [got["text"][s:e] for s, e in got["highlights"]] == ["Diabetic", "patients", "an"]


def test_without_a_match_the_snippet_is_the_start() -> None:
    text = "word " * 200
    got = snippet(text, [term("absent")])
    assert got["highlights"] == [] and got["text"].startswith("word") and got["text"].endswith("…")
    assert snippet("short text", [])["text"] == "short text"
