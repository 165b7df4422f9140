"""Model folders: layout, round trips, auto-architecture rules and bad folders."""

from __future__ import annotations

import json
import os
import shutil

import pytest
import torch

from splade_search import SparseEncoder, SparseAutoEncoder, MLMTransformer, SpladePooling, Transformer, Pooling
from splade_search.errors import ModelFormatError, ModelLoadError

TEXTS = ["what causes diabetes", "the cat and the dog", "insulin in blood"]


def same_embeddings(a: SparseEncoder, b: SparseEncoder) -> None:
    for method in ("encode_query", "encode_document"):
        x = getattr(a, method)(TEXTS, convert_to_sparse_tensor=False)
        y = getattr(b, method)(TEXTS, convert_to_sparse_tensor=False)
        torch.testing.assert_close(x, y)


def read(path, name):
    return json.loads((path / name).read_text())


def test_splade_layout_and_round_trip(splade_model, tmp_path):
    splade_model.encode("warm up")
    splade_model.save(str(tmp_path))
    modules = read(tmp_path, "modules.json")
    assert modules == [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.sparse_encoder.models.MLMTransformer"},
        {"idx": 1, "name": "1", "path": "1_SpladePooling", "type": "sentence_transformers.sparse_encoder.models.SpladePooling"},
    ]
    config = read(tmp_path, "config_sentence_transformers.json")
    assert config["model_type"] == "SparseEncoder" and config["similarity_fn_name"] == "dot"
    assert config["prompts"] == {"query": "", "document": ""} and config["default_prompt_name"] is None
    assert set(read(tmp_path, "sentence_bert_config.json")) == {"max_seq_length", "do_lower_case"}
    assert read(tmp_path, "1_SpladePooling/config.json") == {
        "pooling_strategy": "max", "activation_function": "relu", "word_embedding_dimension": splade_model.get_sentence_embedding_dimension()
    }
    assert (tmp_path / "model.safetensors").exists() and (tmp_path / "README.md").exists()
    loaded = SparseEncoder(str(tmp_path), device="cpu")
    assert [type(m) for m in loaded] == [MLMTransformer, SpladePooling]
    assert loaded.max_active_dims is None
    same_embeddings(splade_model, loaded)


def test_inference_free_layout_and_round_trip(inference_free_model, tmp_path):
    with torch.no_grad():
        inference_free_model[0].sub_modules["query"][0].weight.mul_(torch.rand_like(inference_free_model[0].sub_modules["query"][0].weight))
    inference_free_model.save(str(tmp_path))
    assert read(tmp_path, "modules.json") == [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Router"}]
    router = read(tmp_path, "router_config.json")
    assert router["structure"] == {
        "query": ["query_0_SparseStaticEmbedding"],
        "document": ["document_0_MLMTransformer", "document_1_SpladePooling"],
    }
    assert router["types"]["query_0_SparseStaticEmbedding"].endswith("SparseStaticEmbedding.SparseStaticEmbedding")
    assert router["parameters"] == {"default_route": "document", "allow_empty_key": True}
    assert read(tmp_path, "query_0_SparseStaticEmbedding/config.json") == {"frozen": False}
    loaded = SparseEncoder(str(tmp_path), device="cpu")
    same_embeddings(inference_free_model, loaded)


def test_csr_layout_round_trip_and_max_active_dims(csr_model, tmp_path):
    assert csr_model.max_active_dims == 16
    csr_model.save(str(tmp_path))
    assert [m["path"] for m in read(tmp_path, "modules.json")] == ["", "1_Pooling", "2_SparseAutoEncoder"]
    assert read(tmp_path, "2_SparseAutoEncoder/config.json") == {
        "input_dim": 32, "hidden_dim": 128, "k": 16, "k_aux": 32, "normalize": False, "dead_threshold": 30
    }
    assert read(tmp_path, "1_Pooling/config.json")["pooling_mode_mean_tokens"] is True
    loaded = SparseEncoder(str(tmp_path), device="cpu")
    assert loaded.max_active_dims == 16
    assert SparseEncoder(str(tmp_path), device="cpu", max_active_dims=13).max_active_dims == 13
    same_embeddings(csr_model, loaded)


def test_saved_similarity_and_prompts_reload_and_constructor_overrides(splade_model, tmp_path):
    splade_model.similarity_fn_name = "cosine"
    splade_model.prompts = {"query": "query: ", "document": "passage: "}
    splade_model.save(str(tmp_path))
    loaded = SparseEncoder(str(tmp_path), device="cpu")
    assert loaded.similarity_fn_name == "cosine" and loaded.prompts["query"] == "query: "
    assert SparseEncoder(str(tmp_path), device="cpu", similarity_fn_name="dot").similarity_fn_name == "dot"


def test_masked_lm_checkpoint_becomes_splade(tiny_mlm_dir):
    model = SparseEncoder(tiny_mlm_dir, device="cpu")
    assert [type(m) for m in model] == [MLMTransformer, SpladePooling]


def test_plain_encoder_checkpoint_becomes_csr(tiny_bert_dir):
    model = SparseEncoder(tiny_bert_dir, device="cpu")
    assert [type(m) for m in model] == [Transformer, Pooling, SparseAutoEncoder]
    sae = model[2]
    assert (sae.hidden_dim, sae.k, sae.k_aux) == (128, 128, 128), "k=256, k_aux=512, capped at hidden_dim"
    out = model.encode(TEXTS, max_active_dims=8)
    assert out.shape == (3, 128)


def test_save_is_atomic_and_keeps_old_model_on_failure(splade_model, tmp_path, monkeypatch):
    target = tmp_path / "model"
    splade_model.save(str(target))
    before = (target / "model.safetensors").read_bytes()

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(type(splade_model[1]), "save", explode)
    with pytest.raises(RuntimeError, match="disk full"):
        splade_model.save(str(target))
    assert (target / "model.safetensors").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model"]


class TestBadFolders:
    def test_missing_path(self, tmp_path):
        with pytest.raises(ModelLoadError, match="does not exist"):
            SparseEncoder(str(tmp_path / "nope"))

    def test_folder_that_is_not_a_model(self, tmp_path):
        (tmp_path / "notes.txt").write_text("hello")
        with pytest.raises(ModelFormatError, match="neither modules.json"):
            SparseEncoder(str(tmp_path))

    def test_unknown_module_type(self, splade_model, tmp_path):
        splade_model.save(str(tmp_path))
        modules = read(tmp_path, "modules.json")
        modules[1]["type"] = "os.system"
        (tmp_path / "modules.json").write_text(json.dumps(modules))
        with pytest.raises(ModelFormatError, match="unknown module type 'os.system'"):
            SparseEncoder(str(tmp_path))

    def test_corrupted_safetensors(self, csr_model, tmp_path):
        csr_model.save(str(tmp_path))
        weights = tmp_path / "2_SparseAutoEncoder" / "model.safetensors"
        weights.write_bytes(weights.read_bytes()[:40])
        with pytest.raises(ModelFormatError, match="corrupted or truncated"):
            SparseEncoder(str(tmp_path))

    def test_pickle_only_weights_are_refused(self, csr_model, tmp_path):
        csr_model.save(str(tmp_path))
        folder = tmp_path / "2_SparseAutoEncoder"
        os.remove(folder / "model.safetensors")
        (folder / "pytorch_model.bin").write_bytes(b"not unpickled")
        with pytest.raises(ModelFormatError, match="never unpickles"):
            SparseEncoder(str(tmp_path))

    def test_malformed_modules_json(self, splade_model, tmp_path):
        splade_model.save(str(tmp_path))
        (tmp_path / "modules.json").write_text("{not json")
        with pytest.raises(ModelFormatError, match="not valid JSON"):
            SparseEncoder(str(tmp_path))

    def test_missing_module_folder(self, splade_model, tmp_path):
        splade_model.save(str(tmp_path))
        shutil.rmtree(tmp_path / "1_SpladePooling")
        with pytest.raises(ModelFormatError, match="1_SpladePooling is missing"):
            SparseEncoder(str(tmp_path))
