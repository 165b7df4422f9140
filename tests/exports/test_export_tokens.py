"""Token escaping: every token of the splade-tiny vocabulary (and the awkward ones) becomes a legal, distinct feature
name that reads back as the same token; names escaping cannot produce are refused."""

from __future__ import annotations

import pytest

from splade_search.errors import InputError
from splade_search.exports import escape_token, is_legal_name, unescape_token
from splade_search.exports.tokens import feature_names

from export_data import AWKWARD_TOKENS


@pytest.fixture(scope="module")
def splade_tiny_vocab() -> list[str]:
    from transformers import AutoTokenizer

    from splade_search.hub import EMBEDDED_MODELS

    tokenizer = AutoTokenizer.from_pretrained(str(EMBEDDED_MODELS["splade-tiny"].path()))
    return tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))


def test_every_splade_tiny_token_round_trips_to_a_legal_distinct_name(splade_tiny_vocab):
    assert len(splade_tiny_vocab) == 30522 and {".", "...", "##.", "_", "[unused0]"} <= set(splade_tiny_vocab)
    names = feature_names(splade_tiny_vocab)
    assert len(set(names)) == len(names)
    assert all(is_legal_name(name) for name in names)
    assert [unescape_token(name) for name in names] == splade_tiny_vocab
    kept = sum(name == token for name, token in zip(names, splade_tiny_vocab))
    assert kept > 30400  # only tokens with '.', '%' or a leading '_' change


@pytest.mark.parametrize(
    ("token", "name"),
    [
        (".", "%2E"),
        ("##.", "##%2E"),
        ("x.y.z", "x%2Ey%2Ez"),
        ("_", "%5F"),
        ("__init__", "%5F_init__"),
        ("", "%"),
        (" ", "%20"),
        ("a b", "a%20b"),
        ("\t", "%09"),
        ("%", "%25"),
        ("%2E", "%252E"),
        ("\u3000", "%E3%80%80"),
        ("##ing", "##ing"),
        ("[unused0]", "[unused0]"),
        ("café", "café"),
    ],
)
def test_escaping_spells_each_awkward_token_as_documented(token, name):
    assert escape_token(token) == name and unescape_token(name) == token and is_legal_name(name)


def test_awkward_tokens_are_all_covered_and_distinct():
    names = feature_names(AWKWARD_TOKENS)
    assert len(set(names)) == len(AWKWARD_TOKENS) and all(map(is_legal_name, names))


@pytest.mark.parametrize("name", ["", "a%", "%2", "%2e", "a%5F", "%41", "%FF", "x%zz"])
def test_names_escaping_cannot_produce_are_refused(name):
    with pytest.raises(InputError):
        unescape_token(name)


@pytest.mark.parametrize("name", ["", "a.b", "_x", "a b", "a\nb"])
def test_illegal_names_are_recognised(name):
    assert not is_legal_name(name)


def test_a_repeated_token_is_refused_naming_it_and_its_columns():
    with pytest.raises(InputError, match=r"'dup' \(columns 1 and 3\)"):
        feature_names(["a", "dup", "b", "dup"])
