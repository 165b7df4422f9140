"""Passage splitting: spans cover the text, every encoded passage fits the model, overlap and boundaries hold."""

from __future__ import annotations

import random
import time

import pytest

from splade_search.errors import InputError, ModelFormatError
from splade_search.passages import PassageSettings, PassageSplitter, passage_texts

WORDS = "the patients with diabetes were treated with insulin and blood sugar of the heart cells".split()


def _text(seed: int, sentences: int = 60, paragraph_every: int = 5) -> str:
    rng = random.Random(seed)
    out = []
    for i in range(sentences):
        sentence = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 14))).capitalize()
        out.append(sentence + rng.choice([".", "!", "?", "."]))
        out.append("\n\n" if (i + 1) % paragraph_every == 0 else " ")
    return "".join(out).strip()


def _tokens(tokenizer, text):
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
    return [(a, b) for a, b in enc["offset_mapping"] if b > a]


def _check_invariants(tokenizer, text, spans, title, settings, max_length):
    texts = passage_texts(title, text, spans)
    for encoded in texts:
        assert len(tokenizer(encoded, truncation=False, verbose=False)["input_ids"]) <= max_length
    for start, end in spans:
        assert 0 <= start < end <= len(text)
        assert len(_tokens(tokenizer, text[start:end])) <= settings.tokens
    assert [s for s, _ in spans] == sorted({s for s, _ in spans}), "starts strictly increase"
    covered = [False] * len(text)
    for start, end in spans:
        covered[start:end] = [True] * (end - start)
    for a, b in _tokens(tokenizer, text):
        assert all(covered[a:b]), f"token {text[a:b]!r} at {a} is in no passage"
    assert all(ch.isspace() for ch, seen in zip(text, covered) if not seen)


@pytest.mark.parametrize("boundary", ["none", "sentence", "paragraph"])
@pytest.mark.parametrize("tokens,overlap", [(24, 0), (24, 8), (40, 30), (7, 3)])
@pytest.mark.parametrize("title", ["", "diabetes and insulin"])
def test_spans_cover_text_and_fit_the_model(tiny_tokenizer, boundary, tokens, overlap, title):
    settings = PassageSettings(tokens=tokens, overlap=overlap, boundary=boundary)
    splitter = PassageSplitter(tiny_tokenizer, settings, max_length=64)
    for seed in range(3):
        text = _text(seed)
        spans = splitter.spans(text, title=title)
        assert len(spans) > 1
        _check_invariants(tiny_tokenizer, text, spans, title, settings, 64)


def test_real_tokenizer_passages_fit_512(real_tokenizer):
    settings = PassageSettings(tokens=510, overlap=64, boundary="sentence")
    splitter = PassageSplitter(real_tokenizer, settings, max_length=512)
    text = _text(1, sentences=400) + " unbelievably antidisestablishmentarianism " * 50
    title = "Insulin resistance in the heart: a review"
    spans = splitter.spans(text, title=title)
    _check_invariants(real_tokenizer, text, spans, title, settings, 512)
    counts = [len(real_tokenizer(t)["input_ids"]) for t in passage_texts(title, text, spans)]
    assert max(counts) >= 480, "windows use the room the title leaves"


def test_plain_overlap_is_the_stride_rounded_to_words(real_tokenizer):
    settings = PassageSettings(tokens=50, overlap=12, boundary="none")
    text = _text(2, sentences=80)
    spans = PassageSplitter(real_tokenizer, settings, 512).spans(text)
    tokens = _tokens(real_tokenizer, text)
    for (s1, e1), (s2, e2) in zip(spans, spans[1:]):
        shared = [t for t in tokens if s1 <= t[0] and t[1] <= e1 and s2 <= t[0] and t[1] <= e2]
        assert 12 - 3 <= len(shared) <= 12
        assert text[s2 - 1].isspace() or not (text[s2 - 1].isalnum() and text[s2].isalnum()), "starts at a word"


def test_sentence_mode_ends_windows_at_sentence_ends(real_tokenizer):
    settings = PassageSettings(tokens=64, overlap=16, boundary="sentence")
    text = _text(3, sentences=80)
    spans = PassageSplitter(real_tokenizer, settings, 512).spans(text)
    assert all(text[end - 1] in ".!?" for _, end in spans)
    assert sum(text[start - 1] in " \n" and text[start - 2] in ".!?" for start, _ in spans[1:]) >= len(spans) // 2
    plain = PassageSplitter(real_tokenizer, PassageSettings(64, 16, "none"), 512).spans(text)
    assert sum(text[end - 1] in ".!?" for _, end in plain) < len(plain) // 2


def test_paragraph_mode_prefers_paragraph_ends(real_tokenizer):
    text = _text(4, sentences=60, paragraph_every=3)
    spans = PassageSplitter(real_tokenizer, PassageSettings(100, 0, "paragraph"), 512).spans(text)
    ends_at_paragraph = [text[end : end + 2] == "\n\n" for _, end in spans[:-1]]
    assert sum(ends_at_paragraph) >= len(ends_at_paragraph) - 1
    sentence = PassageSplitter(real_tokenizer, PassageSettings(100, 0, "sentence"), 512).spans(text)
    assert sum(text[end : end + 2] == "\n\n" for _, end in sentence[:-1]) < sum(ends_at_paragraph)


@pytest.mark.parametrize("text", ["", "   \n\t  "])
def test_empty_text_gives_one_title_passage(tiny_tokenizer, text):
    splitter = PassageSplitter(tiny_tokenizer, PassageSettings(16, 4), 64)
    spans = splitter.spans(text, title="insulin")
    assert spans == [(0, 0)]
    assert passage_texts("insulin", text, spans) == ["insulin"]


def test_short_text_is_one_passage(tiny_tokenizer):
    text = "  The heart and the brain.\n"
    assert PassageSplitter(tiny_tokenizer, PassageSettings(16, 4), 64).spans(text) == [(2, 26)]


def test_unknown_characters_are_kept(tiny_tokenizer):
    text = " ".join(["☃☃ 漢字 diabetes ✓"] * 40)
    settings = PassageSettings(10, 2, "sentence")
    spans = PassageSplitter(tiny_tokenizer, settings, 64).spans(text)
    _check_invariants(tiny_tokenizer, text, spans, "", settings, 64)


def test_words_longer_than_a_window_are_cut_and_still_fit(tiny_tokenizer):
    text = "insulin " + "qwertzuiopasdfghjklyxcvbnm" * 3 + " heart"
    settings = PassageSettings(12, 3)
    spans = PassageSplitter(tiny_tokenizer, settings, 64).spans(text, title="the")
    assert len(spans) >= 6
    _check_invariants(tiny_tokenizer, text, spans, "the", settings, 64)


def test_context_dependent_tokenizer_passages_are_recounted(bpe_tokenizer):
    settings = PassageSettings(20, 5, "sentence")
    text = _text(5, sentences=40)
    spans = PassageSplitter(bpe_tokenizer, settings, 24).spans(text, title="insulin")
    assert len(spans) > 5
    for encoded in passage_texts("insulin", text, spans):
        assert len(bpe_tokenizer(encoded, verbose=False)["input_ids"]) <= 24


def test_title_shrinks_the_window_and_a_huge_title_is_refused(tiny_tokenizer):
    splitter = PassageSplitter(tiny_tokenizer, PassageSettings(40, 8), 64)
    title = " ".join(["insulin"] * 20)
    spans = splitter.spans(_text(6), title=title)
    _check_invariants(tiny_tokenizer, _text(6), spans, title, PassageSettings(40, 8), 64)
    with pytest.raises(InputError, match="title of 55 tokens"):
        splitter.spans("heart", title=" ".join(["insulin"] * 55))


def test_settings_that_cannot_fit_are_refused(tiny_tokenizer):
    with pytest.raises(InputError, match="--passage-tokens 63 .* use at most 62"):
        PassageSplitter(tiny_tokenizer, PassageSettings(63, 8), 64)
    with pytest.raises(InputError, match="--passage-stride"):
        PassageSettings(32, 32)


def test_slow_tokenizer_is_refused(tiny_mlm_dir):
    from transformers import BertTokenizer

    try:
        slow = BertTokenizer.from_pretrained(tiny_mlm_dir, use_fast=False)
    except TypeError:
        slow = BertTokenizer.from_pretrained(tiny_mlm_dir)
    if getattr(slow, "is_fast", False):
        pytest.skip("this transformers version has no slow BERT tokenizer")
    with pytest.raises(ModelFormatError, match="fast tokenizer"):
        PassageSplitter(slow, PassageSettings(16, 4), 64)


def test_splitting_is_linear_in_the_text(real_tokenizer):
    splitter = PassageSplitter(real_tokenizer, PassageSettings(256, 32, "sentence"), 512)
    big = (_text(7, sentences=600) + "\n\n") * 40
    big = big[: 1_000_000]
    start = time.perf_counter()
    real_tokenizer(big, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
    tokenize = time.perf_counter() - start
    start = time.perf_counter()
    spans = splitter.spans(big)
    split = time.perf_counter() - start
    assert len(big) == 1_000_000 and len(spans) > 500
    # the tokenizer's own pass dominates (about 1 s per MB on a loaded 2-core machine)
    assert split < 2.5 * tokenize + 0.5, (split, tokenize)


def test_lowercasing_models_are_counted_as_they_read(bpe_tokenizer):
    settings = PassageSettings(20, 5, "sentence")
    text = _text(8, sentences=40).upper()
    splitter = PassageSplitter(bpe_tokenizer, settings, 24, lowercase=True)
    spans = splitter.spans(text, title="INSULIN")
    for encoded in passage_texts("INSULIN", text, spans):
        assert len(bpe_tokenizer(encoded.lower(), verbose=False)["input_ids"]) <= 24
