"""SpladePooling: chunked = unchunked = the reference formula; fused MLM head = plain logits."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from splade_search import SpladePooling


def reference(logits: torch.Tensor, mask: torch.Tensor, strategy: str, activation: str) -> torch.Tensor:
    """The straightforward formula: activation per token on masked logits, then pool."""
    values = torch.log1p(torch.relu(logits * mask.unsqueeze(-1)))
    if activation == "log1p_relu":
        values = torch.log1p(values)
    if strategy == "max":
        return values.max(dim=1).values
    return values.sum(dim=1)


def make_inputs(seed: int = 0, batch: int = 3, length: int = 7, vocab: int = 50):
    torch.manual_seed(seed)
    logits = torch.randn(batch, length, vocab) * 3
    mask = torch.ones(batch, length, dtype=torch.long)
    mask[1, 4:] = 0
    mask[2, 2:] = 0
    return logits, mask


@pytest.mark.parametrize("strategy", ["max", "sum"])
@pytest.mark.parametrize("activation", ["relu", "log1p_relu"])
@pytest.mark.parametrize("chunk_size", [None, 1, 2, 3, 100])
def test_matches_reference_formula(strategy, activation, chunk_size):
    logits, mask = make_inputs()
    pooling = SpladePooling(strategy, activation, chunk_size=chunk_size)
    out = pooling({"token_embeddings": logits, "attention_mask": mask})["sentence_embedding"]
    torch.testing.assert_close(out, reference(logits, mask, strategy, activation), atol=1e-6, rtol=1e-6)
    assert pooling.word_embedding_dimension == 50


@pytest.mark.parametrize("strategy", ["max", "sum"])
@pytest.mark.parametrize("chunk_size", [None, 2])
def test_projected_chunks_match_full_logits(strategy, chunk_size):
    torch.manual_seed(1)
    hidden = torch.randn(3, 7, 16)
    decoder = nn.Linear(16, 50)
    _, mask = make_inputs()
    pooling = SpladePooling(strategy, chunk_size=chunk_size)
    fused = pooling({"mlm_hidden_states": hidden, "mlm_decoder": decoder, "attention_mask": mask})["sentence_embedding"]
    expected = reference(decoder(hidden), mask, strategy, "relu")
    torch.testing.assert_close(fused, expected, atol=1e-5, rtol=1e-5)


def test_backward_matches_reference():
    logits, mask = make_inputs()
    a = logits.clone().requires_grad_(True)
    b = logits.clone().requires_grad_(True)
    SpladePooling("max", chunk_size=2)({"token_embeddings": a, "attention_mask": mask})["sentence_embedding"].sum().backward()
    reference(b, mask, "max", "relu").sum().backward()
    torch.testing.assert_close(a.grad, b.grad)


def test_fused_mlm_path_equals_plain_logits(splade_model):
    texts = ["what causes diabetes", "the cat and the dog", "a"]
    fused = splade_model.encode(texts, convert_to_sparse_tensor=False)
    splade_model[0].fused_head = False
    plain = splade_model.encode(texts, convert_to_sparse_tensor=False)
    torch.testing.assert_close(fused, plain, atol=1e-5, rtol=1e-5)


def test_invalid_arguments():
    with pytest.raises(ValueError, match="pooling_strategy must be either 'max' or 'sum'"):
        SpladePooling("mean")
    with pytest.raises(ValueError, match="activation_function must be either 'relu' or 'log1p_relu'"):
        SpladePooling("max", "gelu")
    with pytest.raises(ValueError, match="chunk_size"):
        SpladePooling("max", chunk_size=0)


@pytest.mark.parametrize("block_elements", [50, 150, 1 << 20])
def test_projection_blocks_match_reference(monkeypatch, block_elements):
    from splade_search.modules import splade_max

    monkeypatch.setattr(splade_max, "BLOCK_ELEMENTS", block_elements)
    torch.manual_seed(2)
    hidden = torch.randn(4, 9, 16)
    decoder = nn.Linear(16, 50)
    mask = torch.ones(4, 9, dtype=torch.long)
    mask[0, 1:] = 0
    mask[2, 5:] = 0
    with torch.inference_mode():
        out = SpladePooling("max")({"mlm_hidden_states": hidden, "mlm_decoder": decoder, "attention_mask": mask})
    expected = reference(decoder(hidden).detach(), mask, "max", "relu")
    torch.testing.assert_close(out["sentence_embedding"], expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("block_elements", [50, 1 << 20])
def test_projected_max_gradients_match_autograd_through_logits(monkeypatch, block_elements):
    from splade_search.modules import splade_max

    monkeypatch.setattr(splade_max, "BLOCK_ELEMENTS", block_elements)
    torch.manual_seed(3)
    mask = torch.ones(3, 6, dtype=torch.long)
    mask[1, 2:] = 0
    fast_decoder, slow_decoder = nn.Linear(8, 40), nn.Linear(8, 40)
    slow_decoder.load_state_dict(fast_decoder.state_dict())
    hidden = torch.randn(3, 6, 8)
    fast_hidden = hidden.clone().requires_grad_(True)
    slow_hidden = hidden.clone().requires_grad_(True)
    pooling = SpladePooling("max")
    upstream = torch.rand(3, 40)
    fast = pooling({"mlm_hidden_states": fast_hidden, "mlm_decoder": fast_decoder, "attention_mask": mask})["sentence_embedding"]
    slow = reference(slow_decoder(slow_hidden), mask, "max", "relu")
    torch.testing.assert_close(fast, slow, atol=1e-5, rtol=1e-5)
    (fast * upstream).sum().backward()
    (slow * upstream).sum().backward()
    torch.testing.assert_close(fast_hidden.grad, slow_hidden.grad, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(fast_decoder.weight.grad, slow_decoder.weight.grad, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(fast_decoder.bias.grad, slow_decoder.bias.grad, atol=1e-5, rtol=1e-5)


def test_bfloat16_projection_is_close_and_not_saved(splade_model, tmp_path):
    texts = ["what causes diabetes", "sparse retrieval with learned term weights", "a"]
    exact = splade_model.encode(texts, convert_to_sparse_tensor=False)
    fast = splade_model.encode(texts, convert_to_sparse_tensor=False, projection_dtype="bfloat16")
    assert fast.dtype == torch.float32 and not torch.equal(fast, exact)
    torch.testing.assert_close(fast, exact, atol=0.05, rtol=0.02)
    splade_model[1].projection_dtype = "bfloat16"
    try:
        torch.testing.assert_close(splade_model.encode(texts, convert_to_sparse_tensor=False), fast)
        splade_model.save(str(tmp_path / "m"))
    finally:
        splade_model[1].projection_dtype = "float32"
    assert "projection_dtype" not in (tmp_path / "m" / "1_SpladePooling" / "config.json").read_text()


def test_bfloat16_projection_is_ignored_in_training():
    torch.manual_seed(3)
    hidden = torch.randn(2, 5, 16, requires_grad=True)
    decoder = nn.Linear(16, 50)
    mask = torch.ones(2, 5, dtype=torch.long)
    features = {"mlm_hidden_states": hidden, "mlm_decoder": decoder, "attention_mask": mask}
    out = SpladePooling("max", projection_dtype="bfloat16")(dict(features))["sentence_embedding"]
    torch.testing.assert_close(out, reference(decoder(hidden), mask, "max", "relu"), atol=1e-5, rtol=1e-5)


def test_bad_projection_dtype():
    with pytest.raises(ValueError, match="projection_dtype must be one of float32, bfloat16"):
        SpladePooling("max", projection_dtype="int4")


def test_fused_path_follows_autocast_forward_and_backward():
    torch.manual_seed(4)
    hidden = torch.randn(3, 6, 16)
    decoder = nn.Linear(16, 50)
    _, mask = make_inputs(length=6)
    a, b = hidden.clone().requires_grad_(True), hidden.clone().requires_grad_(True)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        fused = SpladePooling("max")({"mlm_hidden_states": a, "mlm_decoder": decoder, "attention_mask": mask})["sentence_embedding"]
        plain = SpladePooling("max", chunk_size=2)({"mlm_hidden_states": b, "mlm_decoder": decoder, "attention_mask": mask})["sentence_embedding"]
    torch.testing.assert_close(fused.float(), plain.float(), atol=0.05, rtol=0.02)
    fused.float().sum().backward()
    grad_fused, decoder_grad = a.grad.clone(), decoder.weight.grad.clone()
    decoder.zero_grad()
    plain.float().sum().backward()
    assert a.grad.dtype == torch.float32 and decoder.weight.grad.dtype == torch.float32
    torch.testing.assert_close(grad_fused, b.grad, atol=0.05, rtol=0.05)
    torch.testing.assert_close(decoder_grad, decoder.weight.grad, atol=0.1, rtol=0.05)


def test_encode_under_autocast_is_close_to_float32(splade_model):
    texts = ["what causes diabetes", "sparse retrieval with learned term weights"]
    exact = splade_model.encode(texts, convert_to_sparse_tensor=False)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        low = splade_model.encode(texts, convert_to_sparse_tensor=False)
    assert low.dtype == torch.float32
    torch.testing.assert_close(low, exact, atol=0.1, rtol=0.05)
