"""SparseStaticEmbedding: bag of words x weights, padding invariance, idf.json, save/load."""

from __future__ import annotations

import json

import pytest
import torch
from transformers import AutoTokenizer

from splade_search import SparseStaticEmbedding


@pytest.fixture()
def tokenizer(tiny_mlm_dir):
    return AutoTokenizer.from_pretrained(tiny_mlm_dir)


def encode(module, texts):
    return module(module.tokenize(texts))["sentence_embedding"]


def test_binary_bag_of_words_times_weight(tokenizer):
    weight = torch.arange(len(tokenizer), dtype=torch.float32)
    module = SparseStaticEmbedding(tokenizer, weight=weight)
    out = encode(module, ["diabetes diabetes cat"])[0]
    ids = tokenizer(["diabetes cat"], add_special_tokens=False)["input_ids"][0]
    expected = torch.zeros(len(tokenizer))
    expected[ids] = weight[ids]
    torch.testing.assert_close(out, expected)
    assert out[tokenizer.cls_token_id] == 0 and out[tokenizer.sep_token_id] == 0


def test_padding_is_ignored(tokenizer):
    module = SparseStaticEmbedding(tokenizer, weight=torch.rand(len(tokenizer)) + 0.1)
    texts = ["cat", "diabetes insulin blood sugar level", "the heart"]
    batched = encode(module, texts)
    single = torch.cat([encode(module, [t]) for t in texts])
    torch.testing.assert_close(batched, single)
    assert batched[0, tokenizer.pad_token_id] == 0


def test_frozen_flag_controls_gradients(tokenizer):
    assert not SparseStaticEmbedding(tokenizer, frozen=True).weight.requires_grad
    module = SparseStaticEmbedding(tokenizer, frozen=False)
    assert module.weight.requires_grad
    module.frozen = True
    assert not module.weight.requires_grad


def test_from_json_sized_to_full_vocabulary(tokenizer, tmp_path, caplog):
    path = tmp_path / "idf.json"
    path.write_text(json.dumps({"cat": 2.5, "diabetes": 4.0, "not-a-token": 9.0}))
    module = SparseStaticEmbedding.from_json(str(path), tokenizer)
    vocab = tokenizer.get_vocab()
    assert module.weight.shape[0] == len(tokenizer)
    assert module.weight[vocab["cat"]] == 2.5 and module.weight[vocab["diabetes"]] == 4.0
    assert module.weight.sum() == 6.5
    assert "not-a-token" in caplog.text


def test_save_load_round_trip(tokenizer, tmp_path):
    module = SparseStaticEmbedding(tokenizer, weight=torch.rand(len(tokenizer)), frozen=True)
    module.save(str(tmp_path))
    assert json.loads((tmp_path / "config.json").read_text()) == {"frozen": True}
    from safetensors.torch import load_file

    assert set(load_file(str(tmp_path / "model.safetensors"))) == {"weight"}
    loaded = SparseStaticEmbedding.load(str(tmp_path))
    assert loaded.frozen
    torch.testing.assert_close(encode(loaded, ["cat diabetes"]), encode(module, ["cat diabetes"]))
