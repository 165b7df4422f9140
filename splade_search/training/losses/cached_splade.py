"""CachedSpladeLoss: SpladeLoss with gradient caching, so large batches fit in memory.

GradCache (Gao et al. 2021) in three passes:
1. embed every column in mini-batches without a graph, recording the random state of each;
2. compute the SpladeLoss components on the detached embeddings with a graph, and take the
   gradient of the total loss with respect to those embeddings;
3. when the trainer calls ``backward`` on the returned loss, re-embed each mini-batch with a graph
   under the recorded random state and autocast setting (same dropout masks, same precision), and
   backpropagate the cached embedding gradients into the model.
Loss values and gradients equal SpladeLoss's; memory grows with ``mini_batch_size`` instead of the
batch size. The FLOPS regularizer still sees the whole batch, since pass 2 works on all embeddings.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from functools import partial
from typing import Any

import torch
from torch import nn

from ...errors import InputError
from .splade import SpladeLoss


class ForwardState:
    """The random state (CPU and CUDA) and the autocast setting at one moment, so that a forward pass
    can be replayed with identical dropout masks and precision inside the backward pass."""

    def __init__(self, tensors: list[torch.Tensor]) -> None:
        self.cpu_state = torch.get_rng_state()
        self.devices = sorted({t.device.index or 0 for t in tensors if t.is_cuda})
        self.cuda_states = [torch.cuda.get_rng_state(device) for device in self.devices]
        self.device_type = tensors[0].device.type if tensors else "cpu"
        self.autocast = torch.is_autocast_enabled(self.device_type)
        self.autocast_dtype = torch.get_autocast_dtype(self.device_type)

    @contextlib.contextmanager
    def replay(self) -> Iterator[None]:
        """Run the block under the recorded state; the surrounding random state is restored afterwards."""
        autocast = torch.autocast(self.device_type, dtype=self.autocast_dtype, enabled=self.autocast)
        with torch.random.fork_rng(devices=self.devices), autocast:
            torch.set_rng_state(self.cpu_state)
            for device, state in zip(self.devices, self.cuda_states):
                torch.cuda.set_rng_state(state, device)
            yield


def split_features(features: dict[str, Any], size: int) -> list[dict[str, Any]]:
    """Cut one column's features into mini-batches of ``size`` rows (non-tensor values are shared).

    Modules write their outputs into the features dict, so each pass gets a fresh copy of a chunk.
    """
    rows = next(v.shape[0] for v in features.values() if isinstance(v, torch.Tensor))
    return [
        {
            key: value[start : start + size] if isinstance(value, torch.Tensor) else value
            for key, value in features.items()
        }
        for start in range(0, rows, size)
    ]


class CachedSpladeLoss(SpladeLoss):
    """SpladeLoss that embeds in mini-batches of ``mini_batch_size`` and caches gradients.

    Takes every SpladeLoss argument. Use it to train with batches far larger than fit in memory
    (more in-batch negatives), at the cost of a second forward pass.
    """

    citation = (
        SpladeLoss.citation
        + """
@misc{gao2021scaling,
    title={Scaling Deep Contrastive Learning Batch Size under Memory Limited Setup},
    author={Luyu Gao and Yunyi Zhang and Jiawei Han and Jamie Callan},
    year={2021},
    eprint={2101.06983},
    archivePrefix={arXiv},
    primaryClass={cs.LG}
}
"""
    )

    def __init__(
        self,
        model: nn.Module,
        loss: nn.Module,
        document_regularizer_weight: float,
        *args: Any,
        mini_batch_size: int = 32,
        **kwargs: Any,
    ) -> None:
        super().__init__(model, loss, document_regularizer_weight, *args, **kwargs)
        if mini_batch_size <= 0:
            raise InputError(f"mini_batch_size must be a positive number of rows, got {mini_batch_size}")
        self.mini_batch_size = mini_batch_size

    def forward(self, features: list[dict[str, Any]], labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        chunks = [split_features(column, self.mini_batch_size) for column in features]
        if not torch.is_grad_enabled():
            embeddings = [
                torch.cat([self.model(dict(chunk))["sentence_embedding"] for chunk in column]) for column in chunks
            ]
            return self.compute_loss_from_embeddings(embeddings, labels)
        cached, states = self._embed_without_graph(chunks)
        leaves = [embedding.requires_grad_() for embedding in cached]
        losses = self.compute_loss_from_embeddings(leaves, labels)
        total = torch.stack([value for value in losses.values()]).sum()
        gradients = torch.autograd.grad(total, leaves, allow_unused=True)
        gradients = [torch.zeros_like(leaf) if g is None else g for leaf, g in zip(leaves, gradients)]
        result = {key: value.detach() for key, value in losses.items()}
        carrier_key = next(iter(result))
        carrier = result[carrier_key].clone().requires_grad_()
        carrier.register_hook(partial(self._backward_into_model, chunks, states, gradients))
        result[carrier_key] = carrier
        return result

    def _embed_without_graph(
        self, chunks: list[list[dict[str, Any]]]
    ) -> tuple[list[torch.Tensor], list[list[ForwardState]]]:
        """Pass 1: embeddings per column (detached) and the random state before each mini-batch."""
        embeddings, states = [], []
        for column in chunks:
            column_embeddings, column_states = [], []
            for chunk in column:
                column_states.append(ForwardState([v for v in chunk.values() if isinstance(v, torch.Tensor)]))
                with torch.no_grad():
                    column_embeddings.append(self.model(dict(chunk))["sentence_embedding"].detach())
            embeddings.append(torch.cat(column_embeddings))
            states.append(column_states)
        return embeddings, states

    def _backward_into_model(
        self,
        chunks: list[list[dict[str, Any]]],
        states: list[list[ForwardState]],
        gradients: list[torch.Tensor],
        grad_output: torch.Tensor,
    ) -> None:
        """Pass 3 (a backward hook): replay each mini-batch with a graph and push the cached gradients."""
        for column, column_states, gradient in zip(chunks, states, gradients):
            start = 0
            for chunk, state in zip(column, column_states):
                with state.replay(), torch.enable_grad():
                    embedding = self.model(dict(chunk))["sentence_embedding"]
                    cached = gradient[start : start + embedding.shape[0]]
                    start += embedding.shape[0]
                    surrogate = (embedding * cached).sum() * grad_output
                surrogate.backward()

    def get_config_dict(self) -> dict[str, Any]:
        return {**super().get_config_dict(), "mini_batch_size": self.mini_batch_size}
