"""Counting the documents a model would cut at its maximum length."""

from __future__ import annotations

from splade_search.passages import count_truncated, token_counts


def test_count_truncated_counts_texts_over_the_limit_with_special_tokens(tiny_tokenizer):
    texts = ["insulin " * 62, "insulin " * 63, "", "heart " * 300]
    assert token_counts(texts, tiny_tokenizer) == [64, 65, 2, 302]
    assert count_truncated(texts, tiny_tokenizer, 64) == 2
    assert count_truncated(texts, tiny_tokenizer, 302) == 0
    assert count_truncated([], tiny_tokenizer, 64) == 0


def test_count_truncated_on_the_real_tokenizer(real_tokenizer):
    short, long = "Insulin resistance.", "Insulin resistance in heart cells. " * 200
    assert count_truncated([short, long, long], real_tokenizer, 512) == 2
