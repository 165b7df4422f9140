"""Snippets: the densest matches, whole words marked, rich markup escaped, JSON offsets."""

from __future__ import annotations

import json

from rich.text import Text

from splade_search.indexes import TermContribution
from splade_search.passages import make_snippet, render_rich

FILLER = "the dog and the cat were in the house by the river. " * 12


def _marked(snippet):
    return [snippet.text[a:b] for a, b in snippet.marks]


def test_snippet_centres_on_the_densest_matches_and_cuts_between_words(real_tokenizer):
    passage = FILLER + "Insulin lowers blood sugar in diabetes patients. " + FILLER + "insulin " + FILLER
    terms = [TermContribution("insulin", 1.0, 2.0, 2.0), TermContribution("diabetes", 1.0, 1.0, 1.0),
             TermContribution("sugar", 0.5, 1.0, 0.5)]
    snippet = make_snippet(passage, real_tokenizer, terms, size=120)
    assert _marked(snippet) == ["Insulin", "sugar", "diabetes"]
    assert passage[snippet.start : snippet.end] == snippet.text
    assert 100 <= len(snippet.text) <= 160
    assert snippet.clipped_start and snippet.clipped_end
    assert passage[snippet.start - 1] == " " and passage[snippet.end] == " "


def test_wordpiece_pieces_mark_their_whole_word(real_tokenizer):
    passage = "Patients with cardiomyopathy were studied."
    pieces = real_tokenizer.tokenize("cardiomyopathy")
    assert len(pieces) > 1 and pieces[-1].startswith("##")
    snippet = make_snippet(passage, real_tokenizer, {pieces[-1]: 1.0})
    assert snippet.text == passage and not snippet.clipped_start and not snippet.clipped_end
    assert _marked(snippet) == ["cardiomyopathy"]


def test_unmatched_and_non_positive_terms_mark_nothing(tiny_tokenizer):
    passage = "the heart and the brain"
    snippet = make_snippet(passage, tiny_tokenizer, {"insulin": 3.0, "heart": 0.0})
    assert snippet.marks == ()
    assert make_snippet("", tiny_tokenizer, {"heart": 1.0}).text == ""


def test_only_the_strongest_terms_are_marked(tiny_tokenizer):
    passage = "heart brain lung liver kidney"
    weights = {"heart": 5.0, "brain": 4.0, "lung": 3.0, "liver": 2.0, "kidney": 1.0}
    assert _marked(make_snippet(passage, tiny_tokenizer, weights, max_terms=2)) == ["heart", "brain"]


def test_rich_rendering_escapes_the_text_and_bolds_the_marks(tiny_tokenizer):
    passage = "[bold]not markup[/bold] heart \\[red] insulin\\"
    snippet = make_snippet(passage, tiny_tokenizer, {"heart": 1.0, "insulin": 2.0})
    rendered = Text.from_markup(render_rich(snippet))
    assert rendered.plain == passage
    bold = sorted((span.start, span.end) for span in rendered.spans if str(span.style) == "bold")
    assert bold == sorted(snippet.marks)
    assert [passage[a:b] for a, b in bold] == ["heart", "insulin"]


def test_clipped_snippets_render_ellipses_and_serialise(real_tokenizer):
    passage = FILLER + "insulin " + FILLER
    snippet = make_snippet(passage, real_tokenizer, {"insulin": 1.0}, size=60)
    rendered = Text.from_markup(render_rich(snippet)).plain
    assert rendered.startswith("…") and rendered.endswith("…")
    data = json.loads(json.dumps(snippet.to_dict()))
    assert [data["text"][a:b] for a, b in data["marks"]] == ["insulin"]
    assert passage[data["start"] : data["end"]] == data["text"]
