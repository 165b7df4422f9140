"""Max pooling of MLM logits computed straight from hidden states: the SPLADE fast path.

Forward projects only the real (non-padding) tokens onto the vocabulary, block by block into one
reused buffer, keeping per text the running max and the token it came from. Backward needs only
those argmax tokens: the gradient of ``max_t (h_t W^T + b)_v`` reaches ``h`` and ``W`` through
one token per (text, vocabulary entry), and only entries with a non-zero incoming gradient (the
active dimensions, since the activation is ``log1p(relu(.))``) cost anything. The [batch, length,
vocab] logits are never kept for backward, unlike autograd through ``amax``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

BLOCK_ELEMENTS = 1 << 24  # logits (rows x vocab) per projection block, reused across blocks: 64 MiB in float32


def projected_max(
    hidden: torch.Tensor, decoder: nn.Linear, mask: torch.Tensor, dtype: torch.dtype | None = None
) -> torch.Tensor:
    """Per text, the max over its non-padding tokens of ``decoder(hidden)``: [batch, vocab], in ``hidden``'s dtype.

    The projection runs in ``dtype`` when given (inference only, e.g. ``torch.bfloat16``: faster,
    approximate), else in the autocast dtype inside ``torch.autocast``, else in ``hidden``'s dtype.
    """
    if torch.is_grad_enabled() and (hidden.requires_grad or decoder.weight.requires_grad):
        return _ProjectedMax.apply(hidden, decoder.weight, decoder.bias, mask, _compute_dtype(hidden, None))
    compute = _compute_dtype(hidden, dtype)
    bias = decoder.bias.to(compute) if decoder.bias is not None else None
    pooled = _forward(hidden.to(compute), decoder.weight.to(compute), bias, mask, track_argmax=False)[0]
    return pooled.to(hidden.dtype)


def _compute_dtype(hidden: torch.Tensor, dtype: torch.dtype | None) -> torch.dtype:
    if dtype is not None:
        return dtype
    device = hidden.device.type
    if torch.is_autocast_enabled(device):
        return torch.get_autocast_dtype(device)
    return hidden.dtype


def _forward(
    hidden: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    mask: torch.Tensor,
    track_argmax: bool,
) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
    """``(pooled, argmax token index into the flat real tokens or None, flat real tokens)``."""
    batch = hidden.shape[0]
    vocab = weight.shape[0]
    mask = mask.bool()
    with torch.no_grad():
        tokens = hidden[mask]
        owners = torch.repeat_interleave(torch.arange(batch, device=hidden.device), mask.sum(dim=1)).tolist()
        pooled = hidden.new_full((batch, vocab), float("-inf"))
        argmax = torch.zeros((batch, vocab), dtype=torch.long, device=hidden.device) if track_argmax else None
        rows = max(1, BLOCK_ELEMENTS // vocab)
        buffer = hidden.new_empty((min(rows, max(1, tokens.shape[0])), vocab))
        weight_t = weight.t()
        for start in range(0, tokens.shape[0], rows):
            block = tokens[start : start + rows]
            logits = buffer[: block.shape[0]]
            torch.mm(block, weight_t, out=logits)  # the bias is constant over tokens: added once to the max below
            for owner, first, last in _segments(owners[start : start + rows]):
                if argmax is None:
                    torch.maximum(pooled[owner], logits[first:last].amax(dim=0), out=pooled[owner])
                    continue
                values, where = logits[first:last].max(dim=0)
                better = values > pooled[owner]
                pooled[owner] = torch.where(better, values, pooled[owner])
                argmax[owner] = torch.where(better, where + (start + first), argmax[owner])
        if bias is not None:
            pooled += bias
    return pooled, argmax, tokens


def _segments(owners: list[int]) -> list[tuple[int, int, int]]:
    """Runs of equal owners as ``(owner, first, end)``."""
    runs = []
    first = 0
    for i in range(1, len(owners) + 1):
        if i == len(owners) or owners[i] != owners[first]:
            runs.append((owners[first], first, i))
            first = i
    return runs


class _ProjectedMax(torch.autograd.Function):
    """Autograd for ``projected_max`` with an argmax-only backward (projection in a given compute dtype)."""

    @staticmethod
    def forward(
        ctx: Any, hidden: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, mask: torch.Tensor, compute: torch.dtype
    ) -> torch.Tensor:
        low_bias = bias.to(compute) if bias is not None else None
        pooled, argmax, tokens = _forward(hidden.to(compute), weight.to(compute), low_bias, mask, track_argmax=True)
        ctx.save_for_backward(tokens, argmax, weight, mask)
        ctx.bias_dtype = bias.dtype if bias is not None else None
        ctx.hidden_shape, ctx.hidden_dtype = hidden.shape, hidden.dtype
        return pooled.to(hidden.dtype)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        tokens, argmax, weight, mask = ctx.saved_tensors
        texts, entries = torch.nonzero(grad, as_tuple=True)
        values = grad[texts, entries].float()
        sources = argmax[texts, entries]
        grad_hidden = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_tokens = torch.zeros(tokens.shape, dtype=torch.float32, device=tokens.device)
            grad_tokens.index_add_(0, sources, values[:, None] * weight[entries].float())
            grad_hidden = grad_tokens.new_zeros(ctx.hidden_shape)
            grad_hidden[mask.bool()] = grad_tokens
            grad_hidden = grad_hidden.to(ctx.hidden_dtype)
        if ctx.needs_input_grad[1]:
            grad_weight = torch.zeros_like(weight)
            grad_weight.index_add_(0, entries, (values[:, None] * tokens[sources].float()).to(weight.dtype))
        if ctx.bias_dtype is not None and ctx.needs_input_grad[2]:
            grad_bias = grad.sum(dim=0).to(ctx.bias_dtype)
        return grad_hidden, grad_weight, grad_bias, None, None
