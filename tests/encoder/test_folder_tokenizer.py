"""folder_tokenizer: a BERT tokenizer built with `tokenizers` alone gives exactly what transformers gives, or declines."""

from __future__ import annotations

import json
import shutil

import pytest
from transformers import AutoTokenizer

from splade_search.fastpaths.folder_tokenizer import load_folder_tokenizer
from splade_search.hub import embedded_model_path

TEXTS = [
    "what is sparse retrieval",
    "  Héllo WORLD, naïve café!  ",
    "日本語のテキスト and 中文 mixed",
    "U.S.A. 3.14 1,000 foo:bar it's",
    "emoji 😀👍🏽 and tab\tnew\nline\x07ctrl",
    "Ǆemal İstanbul straße ﬁne \u200bzero\u200dwidth",
    "diabetes " * 80,
    "",
]


def _copy_with(tmp_path, source: str, **settings) -> str:
    """A copy of the tokenizer folder with these tokenizer_config.json settings (None: removed)."""
    folder = tmp_path / "tok"
    shutil.copytree(source, folder)
    config = {**json.loads((folder / "tokenizer_config.json").read_text()), **settings}
    (folder / "tokenizer_config.json").write_text(json.dumps({k: v for k, v in config.items() if v is not None}))
    return str(folder)


def _same_as_transformers(folder: str, max_length: int = 12) -> None:
    ours, theirs = load_folder_tokenizer(folder), AutoTokenizer.from_pretrained(folder)
    assert ours is not None and not any(map(ours.holds_added_token, TEXTS))  # the `tokenizers` path runs
    assert (len(ours), ours.model_max_length) == (len(theirs), theirs.model_max_length)
    expected = theirs(TEXTS, add_special_tokens=False, truncation=True, max_length=max_length)["input_ids"]
    assert ours.encode_ids(TEXTS, max_length) == [list(ids) for ids in expected]
    for batch in (TEXTS, TEXTS[:2], TEXTS[-3:-1]):
        expected = theirs(batch, padding=True, truncation="longest_first", max_length=max_length)
        found = ours.encode_batch(batch, max_length)
        assert all(found[key] == [list(row) for row in expected[key]] for key in found)
    for text in TEXTS:
        options = {"add_special_tokens": False, "return_offsets_mapping": True, "truncation": False}
        mine, reference = ours(text, **options), theirs(text, **options)
        assert list(mine["input_ids"]) == list(reference["input_ids"]) and mine.word_ids() == reference.word_ids()
        assert [tuple(o) for o in mine["offset_mapping"]] == [tuple(o) for o in reference["offset_mapping"]]
    ids = list(range(len(theirs) + 2))
    assert ours.convert_ids_to_tokens(ids) == theirs.convert_ids_to_tokens(ids)


def test_embedded_splade_tokenizer_matches_transformers():
    _same_as_transformers(str(embedded_model_path("splade-tiny")))


def test_tiny_test_tokenizer_matches_transformers(tiny_mlm_dir):
    _same_as_transformers(tiny_mlm_dir)


@pytest.mark.parametrize(
    "settings",
    [{"do_lower_case": False}, {"strip_accents": True}, {"tokenize_chinese_chars": False}, {"truncation_side": "left"}],
)
def test_config_settings_win_over_tokenizer_json_as_in_transformers(tmp_path, settings):
    _same_as_transformers(_copy_with(tmp_path, str(embedded_model_path("splade-tiny")), **settings))


def test_sides_left_to_tokenizer_json_as_in_transformers(tmp_path):
    folder = _copy_with(tmp_path, str(embedded_model_path("splade-tiny")), padding_side=None, truncation_side=None, pad_token=None)
    spec = json.loads((tmp_path / "tok" / "tokenizer.json").read_text())
    spec["padding"]["direction"] = spec["truncation"]["direction"] = "Left"
    (tmp_path / "tok" / "tokenizer.json").write_text(json.dumps(spec))
    assert load_folder_tokenizer(folder).padding_side == "left"
    _same_as_transformers(folder)


@pytest.mark.parametrize(
    "settings",
    [{"tokenizer_class": "RobertaTokenizer"}, {"add_bos_token": True}, {"pad_to_multiple_of": 8}, {"extra_special_tokens": ["<x>"]}],
)
def test_other_tokenizers_and_settings_are_declined(tmp_path, settings):
    assert load_folder_tokenizer(_copy_with(tmp_path, str(embedded_model_path("splade-tiny")), **settings)) is None


def test_added_token_outside_the_vocabulary_is_declined(tmp_path):
    folder = _copy_with(tmp_path, str(embedded_model_path("splade-tiny")), mask_token="<brand-new>")
    assert load_folder_tokenizer(folder) is None


def test_texts_with_special_tokens_are_tokenized_by_transformers(tiny_mlm_dir):
    ours, theirs = load_folder_tokenizer(tiny_mlm_dir), AutoTokenizer.from_pretrained(tiny_mlm_dir)
    assert ours.holds_added_token("a [mask] b") and not ours.holds_added_token("a mask b")
    texts = ["cat [MASK] dog", "[SEP]"]
    assert ours.encode_ids(texts, 8) == [list(ids) for ids in theirs(texts, add_special_tokens=False, truncation=True, max_length=8)["input_ids"]]
    assert ours.encode_ids(texts, 8)[0] == [theirs.convert_tokens_to_ids("cat"), theirs.mask_token_id, theirs.convert_tokens_to_ids("dog")]
