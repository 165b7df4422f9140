"""PyWordPiece gives the rust tokenizer's ids, and declines what it cannot reproduce."""

from __future__ import annotations

import json
import random
import string

import pytest
from tokenizers import Tokenizer
from transformers import AutoTokenizer

from splade_search.fastpaths.wordpiece import PyWordPiece
from splade_search.hub import resolve_model_path

UNICODE = list("éÉöüñçåæøßÆŒœİıΣσςαβγκΩЖжДдÅÅ東京한국語ñ’‘“”–—…„«»¡¿·•°±£€¥©®™§¶ﬁﬂＡｂ１²½") + [
    "e\u0301", "\u0301", "\u0308", "\u00a0", "\u2009", "\u3000", "\u200b", "\u200e", "\u00ad", "\ufeff", "\ufffd",
    "\u0085", "\u0097", "\u2028", "\u0928\u093e", "\u0915\u094d", "\U0001F642", "\U0001D400", "\u0627\u0644",
]


def rust_and_python(tokenizer_dir: str, lowercase: bool = True) -> tuple[Tokenizer, PyWordPiece]:
    config = json.loads(AutoTokenizer.from_pretrained(tokenizer_dir)._tokenizer.to_str())
    config["normalizer"]["lowercase"] = lowercase
    rust = Tokenizer.from_str(json.dumps(config))
    rust.no_truncation()
    rust.no_padding()
    python = PyWordPiece.from_backend(rust)
    assert python is not None
    return rust, python


def fuzz(rng: random.Random, words: list[str], n: int) -> list[str]:
    """Vocabulary words glued and spaced, punctuation, digits, case, very long words, unicode."""
    alphabet = string.ascii_letters + string.digits + string.punctuation + "  \t\n\r"
    texts = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(0, 30)):
            kind = rng.random()
            if kind < 0.45:
                parts.append(rng.choice(words).replace("##", "") * rng.choice([1, 1, 2]))
            elif kind < 0.7:
                parts.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8))))
            elif kind < 0.9:
                parts.append(rng.choice(UNICODE))
            else:
                parts.append(rng.choice(string.ascii_lowercase) * rng.choice([99, 100, 101, 150]))
            parts.append(rng.choice(["", " ", "  ", "\n", "-", "'s "]))
        text = "".join(parts)
        texts.append(text.upper() if rng.random() < 0.1 else text)
    return texts


@pytest.mark.parametrize("which,lowercase", [("splade-tiny", True), ("tiny", True), ("tiny", False)])
def test_same_ids_as_the_rust_tokenizer(which, lowercase, tiny_mlm_dir):
    folder = str(resolve_model_path("splade-tiny")) if which == "splade-tiny" else tiny_mlm_dir
    rust, python = rust_and_python(folder, lowercase)
    words = [w for w in rust.get_vocab() if not w.startswith("[")]
    answered = 0
    for text in fuzz(random.Random(0), words, 600):
        ids = python.ids(text)
        if ids is not None:
            answered += 1
            assert ids == rust.encode(text, add_special_tokens=False).ids, text
    for ch in UNICODE:
        for text in (ch, f"ab{ch}cd", f"x {ch}{ch} y", f"{ch}ing"):
            ids = python.ids(text)
            assert ids is None or ids == rust.encode(text, add_special_tokens=False).ids, text
    assert answered > 300


def test_declines_what_it_does_not_reproduce(tiny_mlm_dir):
    _, python = rust_and_python(tiny_mlm_dir)
    for text in ["東京 cat", "cat\x00dog", "cat\x0bdog", "a\x7fb", "the [CLS] cat", "[mask]", "[Pad]"]:
        assert python.ids(text) is None, text
    assert python.ids("") == [] and python.ids("cat\tdog\r\n") is not None and python.ids("café “cat”") is not None


def test_other_pipelines_are_not_handled():
    from tokenizers import models, pre_tokenizers

    rust = Tokenizer(models.WordPiece({"[UNK]": 0, "a": 1}, unk_token="[UNK]"))
    rust.pre_tokenizer = pre_tokenizers.Whitespace()
    assert PyWordPiece.from_backend(rust) is None
