"""Light query encoders (no transformers import / no torch) give exactly the fully loaded model's query vectors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from splade_search import MLMTransformer, SparseEncoder, SpladePooling
from splade_search.data import Document
from splade_search.fastpaths.inference_free import InferenceFreeQueryEncoder
from splade_search.fastpaths.light_encoders import load_light_encoder
from splade_search.indexes import SparseIndex
from splade_search.retrieval.indexing import index_corpus
from splade_search.retrieval.model_record import FINGERPRINT_KEY, fingerprint, load_light_model
from splade_search.retrieval.vocabulary import model_vocabulary
from splade_search.sparse import to_scipy_csr
from tiny_models import write_inference_free_model

QUERIES = [
    "what causes diabetes",
    "cat",
    "Heart disease RISK in patients, study results?",
    "blood " * 300,  # longer than the model reads: truncated
    "  the weather and the city river  ",
    "liver kidney lung brain heart virus infection cancer gene protein",
]


def _same_queries(light, full, batch_size: int = 4) -> None:
    ours = light.encode_query(QUERIES, convert_to_sparse_tensor=False, batch_size=batch_size)
    theirs = full.encode_query(QUERIES, convert_to_sparse_tensor=False, batch_size=batch_size)
    assert torch.equal(ours, theirs)
    assert fingerprint(light) == fingerprint(full)
    assert model_vocabulary(light) == model_vocabulary(full)


def test_embedded_splade_without_transformers_modeling(real_splade):
    light = load_light_encoder("splade-tiny")
    assert type(light[0]).__name__ == "LightMLMTransformer"
    _same_queries(light, real_splade)
    _same_queries(light, real_splade, batch_size=1)  # no padding: transformers skips the attention mask


def test_hugging_face_masked_lm_folder(tiny_mlm_dir):
    _same_queries(load_light_encoder(tiny_mlm_dir), SparseEncoder(tiny_mlm_dir, device="cpu"))


@pytest.mark.parametrize("pooling", [("max", "log1p_relu"), ("sum", "relu")])
def test_sparse_encoder_folder_with_prompt_and_pooling(tmp_path, tiny_mlm_dir, pooling):
    modules = [MLMTransformer(tiny_mlm_dir, max_seq_length=16), SpladePooling(*pooling)]
    SparseEncoder(modules=modules, device="cpu", prompts={"query": "query: "}).save(str(tmp_path / "m"), create_model_card=False)
    light = load_light_encoder(str(tmp_path / "m"))
    assert light.prompts["query"] == "query: " and light.max_seq_length == 16
    _same_queries(light, SparseEncoder(str(tmp_path / "m"), device="cpu"))


@pytest.fixture()
def inference_free_folder(tmp_path, tiny_mlm_dir):
    """An inference-free model folder with a query prompt."""
    return Path(write_inference_free_model(str(tmp_path / "inference-free"), tiny_mlm_dir, query_prompt="q "))


def test_inference_free_queries_without_torch_modules(inference_free_folder):
    light, full = load_light_encoder(str(inference_free_folder)), SparseEncoder(str(inference_free_folder), device="cpu")
    assert isinstance(light, InferenceFreeQueryEncoder)
    ours = light.encode_query_rows(QUERIES)
    theirs = to_scipy_csr(full.encode_query(QUERIES, convert_to_sparse_tensor=True))
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    for part in ("indptr", "indices", "data"):
        assert getattr(ours, part).tolist() == getattr(theirs, part).tolist()
    assert fingerprint(light) == fingerprint(full)
    assert model_vocabulary(light) == model_vocabulary(full)


def test_inference_free_with_distilbert_documents_and_an_idf_file(tmp_path, tiny_mlm_dir):
    from transformers import AutoTokenizer, DistilBertConfig, DistilBertForMaskedLM

    documents = tmp_path / "distilbert"
    shutil.copytree(tiny_mlm_dir, documents)
    for name in ("config.json", "model.safetensors"):
        (documents / name).unlink()
    config = DistilBertConfig(vocab_size=len(AutoTokenizer.from_pretrained(tiny_mlm_dir)), dim=32, n_layers=1, n_heads=2, hidden_dim=37)
    DistilBertForMaskedLM(config).save_pretrained(str(documents))
    folder = Path(write_inference_free_model(str(tmp_path / "model"), str(documents)))
    static = folder / "query_0_SparseStaticEmbedding"
    (static / "idf.json").write_text(json.dumps({"cat": 1.5, "diabetes": 2.25, "the": 0.1, "not-a-token": 9.0}))
    _edit_json(static / "config.json", path="idf.json")
    (static / "model.safetensors").unlink()
    light, full = load_light_encoder(str(folder)), SparseEncoder(str(folder), device="cpu")
    assert light is not None
    assert fingerprint(light) == fingerprint(full)
    ours, theirs = light.encode_query_rows(QUERIES), to_scipy_csr(full.encode_query(QUERIES, convert_to_sparse_tensor=True))
    assert ours.nnz > 0 and (ours != theirs).nnz == 0


def _edit_json(file, **changes) -> None:
    file.write_text(json.dumps({**json.loads(file.read_text()), **changes}))


def test_other_folders_are_declined(tmp_path, tiny_mlm_dir, inference_free_folder):
    assert load_light_encoder("naver/splade-v3") is None  # hub ids load as usual
    relu = tmp_path / "relu"
    shutil.copytree(tiny_mlm_dir, relu)
    _edit_json(relu / "config.json", hidden_act="relu")
    assert load_light_encoder(str(relu)) is None
    options = tmp_path / "options"  # a folder passing options to transformers (here eager attention)
    shutil.copytree(tiny_mlm_dir, options)
    (options / "sentence_bert_config.json").write_text(json.dumps({"model_args": {"attn_implementation": "eager"}}))
    assert load_light_encoder(tiny_mlm_dir) is not None and load_light_encoder(str(options)) is None
    (inference_free_folder / "outside.json").write_text(json.dumps({"cat": 1.0}))  # outside the module folder: refused
    _edit_json(inference_free_folder / "query_0_SparseStaticEmbedding" / "config.json", path="../outside.json")
    assert load_light_encoder(str(inference_free_folder)) is None


def test_a_changed_model_folder_is_left_to_the_full_loader(tmp_path, tiny_mlm_dir):
    folder = tmp_path / "model"
    shutil.copytree(tiny_mlm_dir, folder)
    docs = [Document(id="a", text="cat and dog"), Document(id="b", text="diabetes blood sugar")]
    index_corpus(SparseEncoder(str(folder), device="cpu"), docs, tmp_path / "index", model_reference=str(folder), show_progress=False)
    index = SparseIndex.open(tmp_path / "index")
    assert index.metadata[FINGERPRINT_KEY] and load_light_model(index) is not None
    changed = SparseEncoder(str(folder), device="cpu")
    with torch.no_grad():
        changed[0].auto_model.cls.predictions.bias += 1
    changed[0].auto_model.save_pretrained(str(folder))
    assert load_light_model(index) is None  # the full loader then refuses the changed model
