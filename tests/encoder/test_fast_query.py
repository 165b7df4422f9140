"""The inference-free query fast path gives exactly what the module chain gives, and steps aside otherwise."""

from __future__ import annotations

import random

import pytest
import torch
from transformers import AutoTokenizer

from splade_search import MLMTransformer, Router, SparseEncoder, SparseStaticEmbedding, SpladePooling
from splade_search.fastpaths import static_query as fast_query
from splade_search.hub import resolve_model_path

WORDS = ("the a of and to in is diabetes disease cause insulin sugar blood cell cancer protein gene study patients "
         "what how why heart brain apple banana fruit dog cat house car city river music film book water").split()

ODD = ["", "   ", "\t\n", "[CLS] [MASK] [PAD] [SEP]", "[UNK]", "Ünïcödé naïve café 東京 🙂", "cat cat cat CAT Cat",
       "x" * 300, "diabetes, insulin; blood-sugar!?", " leading and trailing spaces  "]


def random_texts(rng: random.Random, n: int, vocab: list[str]) -> list[str]:
    texts = []
    for _ in range(n):
        words = [rng.choice(vocab) for _ in range(rng.randint(0, 40))]
        texts.append(" ".join(words))
    return texts + ODD


def same(a, b) -> None:
    """Identical results: layout, shape, dtype, indices and values (NaN equal to NaN)."""
    if isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b)
        for x, y in zip(a, b):
            same(x, y)
        return
    assert (a.is_sparse, a.shape, a.dtype, a.device) == (b.is_sparse, b.shape, b.dtype, b.device)
    if a.is_sparse:
        assert a.is_coalesced() and b.is_coalesced()
        assert torch.equal(a.indices(), b.indices())
        a, b = a.values(), b.values()
    assert torch.equal(a, b) or torch.allclose(a, b, equal_nan=True, rtol=0, atol=0)


@pytest.fixture()
def calls(monkeypatch):
    """Counts of fast-path answers (``hit``) and fallbacks (``miss``)."""
    counts = {"hit": 0, "miss": 0}
    original = fast_query.encode

    def spy(*args, **kwargs):
        out = original(*args, **kwargs)
        counts["hit" if out is not None else "miss"] += 1
        return out

    monkeypatch.setattr(fast_query, "encode", spy)
    return counts


def plain(model, texts, monkeypatch, **kwargs):
    with monkeypatch.context() as m:
        m.setattr(fast_query, "encode", lambda *a, **k: None)
        return model.encode_query(texts, **kwargs)


def check(model, texts, monkeypatch, **kwargs) -> None:
    same(model.encode_query(texts, **kwargs), plain(model, texts, monkeypatch, **kwargs))


@pytest.fixture()
def model(tiny_mlm_dir):
    tokenizer = AutoTokenizer.from_pretrained(tiny_mlm_dir)
    torch.manual_seed(1)
    weight = torch.rand(len(tokenizer)) * 3
    weight[torch.randperm(len(tokenizer))[:20]] = 0.0
    weight[torch.randperm(len(tokenizer))[:10]] *= -1
    static = SparseStaticEmbedding(tokenizer, weight=weight)
    router = Router.for_query_document([static], [MLMTransformer(tiny_mlm_dir), SpladePooling("max")])
    return SparseEncoder(modules=[router], device="cpu")


@pytest.mark.parametrize("options", [
    {}, {"convert_to_sparse_tensor": False}, {"convert_to_tensor": False},
    {"convert_to_tensor": False, "convert_to_sparse_tensor": False}, {"max_active_dims": 4},
    {"max_active_dims": 4, "convert_to_sparse_tensor": False}, {"batch_size": 3, "save_to_cpu": True},
    {"prompt": "query: "}, {"max_active_dims": 10_000},
])
def test_lists_and_single_strings_match_the_plain_path(model, monkeypatch, calls, options):
    texts = random_texts(random.Random(0), 40, WORDS + ["##s", "zebra", "ünï"])
    check(model, texts, monkeypatch, **options)
    for text in texts[-len(ODD):] + texts[:3]:
        check(model, text, monkeypatch, **options)
    assert calls["miss"] == 0 and calls["hit"] > 0


def test_truncation_follows_max_seq_length_and_side(model, monkeypatch, calls):
    long = " ".join(WORDS * 3)
    tokenizer = model[0].sub_modules["query"][0].tokenizer
    for side in ("right", "left"):
        tokenizer.truncation_side = side
        for length in (1, 5, 17, None):
            model.max_seq_length = length
            check(model, [long, long[::-1], "cat"], monkeypatch)
            check(model, long, monkeypatch, max_active_dims=3)
    assert calls["miss"] == 0


def test_tokenizer_settings_and_empty_batches(model, monkeypatch, calls):
    static = model[0].sub_modules["query"][0]
    texts = ["[CLS] cat [MASK]", "[PAD] [SEP] dog", "[UNK]"]
    check(model, texts, monkeypatch)
    assert fast_query._CACHES[static].backend is not None  # the rust tokenizer, not the generic call
    assert fast_query._CACHES[static].wordpiece is not None
    static.tokenizer.split_special_tokens = True
    check(model, texts, monkeypatch)
    for options in ({}, {"convert_to_sparse_tensor": False}, {"convert_to_tensor": False}):
        check(model, ["", "  \n"], monkeypatch, **options)
        check(model, " ", monkeypatch, **options)
    assert calls["miss"] == 0


def test_real_wordpiece_tokenizer(monkeypatch, calls):
    tokenizer = AutoTokenizer.from_pretrained(str(resolve_model_path("splade-tiny")))
    torch.manual_seed(2)
    model = SparseEncoder(modules=[SparseStaticEmbedding(tokenizer, weight=torch.rand(len(tokenizer)))], device="cpu")
    vocab = [t for t in tokenizer.get_vocab() if not t.startswith("[unused")]
    texts = random_texts(random.Random(1), 60, vocab) + ["Is it ok?! Ça va... Straße Ωmega ﬁne — “quotes”", "a " * 2000]
    for options in ({}, {"convert_to_sparse_tensor": False}, {"max_active_dims": 8}):
        check(model, texts, monkeypatch, **options)
        check(model, texts[0], monkeypatch, **options)
    assert calls["miss"] == 0


def test_ties_at_the_max_active_dims_cut_fall_back(inference_free_model, monkeypatch, calls):
    text = "diabetes insulin blood sugar heart"  # all weights are 1: a cut at 2 of 5 is a tie
    check(inference_free_model, text, monkeypatch, max_active_dims=2)
    assert calls["miss"] == 1
    check(inference_free_model, text, monkeypatch, max_active_dims=5)
    assert calls["hit"] == 1


def test_weight_changes_and_non_finite_weights(model, monkeypatch, calls):
    static = model[0].sub_modules["query"][0]
    before = model.encode_query("diabetes cat")
    with torch.no_grad():
        static.weight.mul_(2.0)
    after = model.encode_query("diabetes cat")
    torch.testing.assert_close(after.values(), before.values() * 2)
    cat = static.tokenizer.convert_tokens_to_ids("cat")
    with torch.no_grad():
        static.weight[cat] = float("inf")
    check(model, ["diabetes", "cat"], monkeypatch)
    assert calls["miss"] == 1


def test_other_routes_and_inputs_take_the_plain_path(model, monkeypatch, calls):
    check(model, [("diabetes", "cat")], monkeypatch)
    assert calls == {"hit": 0, "miss": 1}
    model.encode_document(["diabetes cat"])
    assert calls["miss"] == 2
    plain_splade = SparseEncoder(modules=list(model[0].sub_modules["document"]), device="cpu")
    assert fast_query.query_module(plain_splade, "query") is None
    assert model.encode_query([]).shape == plain(model, [], monkeypatch).shape
