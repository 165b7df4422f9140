"""Count the texts a model would cut at its maximum length (for the "N of M documents were cut" report)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def token_counts(texts: Sequence[str], tokenizer: Any) -> list[int]:
    """Tokens of each text, special tokens included, as the model would read them without truncation."""
    if not texts:
        return []
    encoded = tokenizer(list(texts), add_special_tokens=True, truncation=False, verbose=False)
    return [len(ids) for ids in encoded["input_ids"]]


def count_truncated(texts: Sequence[str], tokenizer: Any, max_length: int) -> int:
    """How many of ``texts`` are longer than ``max_length`` tokens (special tokens included) and would be cut."""
    return sum(1 for count in token_counts(texts, tokenizer) if count > max_length)
