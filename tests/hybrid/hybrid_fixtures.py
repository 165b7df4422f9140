"""Tiny dense and cross-encoder model folders built on the fly, and a small corpus (import the fixtures)."""

from __future__ import annotations

import os

import pytest

from splade_search.data import Document
from tiny_models import _tiny_config, _vocab_size, _write_tokenizer

DOCS = [
    Document("d1", "Diabetes", "insulin and blood sugar in patients with diabetes"),
    Document("d2", "Pets", "the cat and the dog"),
    Document("d3", "", "heart disease risk increase"),
    Document("d4", "Weather", "rain and sun in the city"),
    Document("d5", "Cells", "cancer cells and genes"),
]


@pytest.fixture(scope="session")
def tiny_dense_dir(tmp_path_factory, tiny_bert_dir) -> str:
    """A dense sentence-transformers folder: Transformer + mean Pooling + Normalize (cosine)."""
    from splade_search.model_folder import FolderConfig, save_folder
    from splade_search.modules import Normalize, Pooling, Transformer

    folder = str(tmp_path_factory.mktemp("tiny_dense") / "model")
    modules = [Transformer(tiny_bert_dir), Pooling(32, "mean"), Normalize()]
    save_folder(modules, folder, FolderConfig(model_type="SentenceTransformer", similarity_fn_name="cosine"), {})
    return folder


@pytest.fixture(scope="session")
def tiny_cross_encoder_dir(tmp_path_factory) -> str:
    """A randomly initialised 1-layer BertForSequenceClassification with one label."""
    import torch
    from transformers import BertForSequenceClassification

    folder = str(tmp_path_factory.mktemp("tiny_cross"))
    _write_tokenizer(folder)
    torch.manual_seed(0)
    config = _tiny_config(_vocab_size(folder))
    config.num_labels = 1
    BertForSequenceClassification(config).save_pretrained(folder)
    assert os.path.exists(os.path.join(folder, "model.safetensors"))
    return folder
