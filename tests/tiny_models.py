"""Tiny models' building blocks (tokenizer, config) shared by conftest.py and test helper modules.

Import from here, not from ``conftest``: several test folders have a conftest.py, and which one
``import conftest`` finds depends on the collection order.
"""

from __future__ import annotations

import os

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


def write_inference_free_model(folder: str, mlm_dir: str, query_prompt: str = "") -> str:
    """Save an inference-free SPLADE (random positive query weights, every 7th zero; MLM documents) to ``folder``."""
    import torch
    from transformers import AutoTokenizer

    from splade_search import MLMTransformer, Router, SparseEncoder, SparseStaticEmbedding, SpladePooling

    tokenizer = AutoTokenizer.from_pretrained(mlm_dir)
    weight = torch.rand(len(tokenizer), generator=torch.Generator().manual_seed(1)) * 2
    weight[::7] = 0
    router = Router.for_query_document([SparseStaticEmbedding(tokenizer, weight=weight)], [MLMTransformer(mlm_dir), SpladePooling("max")])
    SparseEncoder(modules=[router], device="cpu", prompts={"query": query_prompt}).save(folder, create_model_card=False)
    return folder
