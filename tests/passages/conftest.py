"""Tokenizers for the passage tests: the tiny fixture vocabulary, the real splade-tiny one, a byte-level BPE."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def tiny_tokenizer(tiny_mlm_dir):
    """WordPiece over ~150 tokens (letters as pieces), model_max_length 64."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_mlm_dir)


@pytest.fixture(scope="session")
def real_tokenizer(real_splade):
    """The tokenizer of the embedded splade-tiny (bert-base-uncased vocabulary)."""
    return real_splade.tokenizer


@pytest.fixture(scope="session")
def bpe_tokenizer():
    """A byte-level BPE tokenizer (tokens depend on the preceding space), trained here on a few sentences."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    corpus = ["the patients with diabetes were treated with insulin and the results were good."] * 20
    backend.train_from_iterator(corpus, trainers.BpeTrainer(vocab_size=300, special_tokens=["<s>", "</s>", "<pad>"]))
    backend.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 1)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=backend, bos_token="<s>", eos_token="</s>", pad_token="<pad>", model_max_length=64
    )
