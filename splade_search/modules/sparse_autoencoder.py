"""SparseAutoEncoder: the CSR head (top-k sparse autoencoder with a tied decoder, arXiv 2503.01776)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from ..errors import InputError, ModelFormatError
from .base import WEIGHTS_NAME, Module

LN_EPS = 1e-5
ACTIVE_EPS = 1e-5


class SparseAutoEncoder(Module):
    """Map a dense embedding to ``hidden_dim`` latents of which only the top ``k`` stay active.

    In training (anything outside ``torch.inference_mode``) it also emits the 4k and auxiliary
    latents and the reconstructions the CSR losses need. All of them are computed out of place from
    the same, unmasked pre-activations.

    ``initialized_from_scratch`` is True only for an autoencoder the loader created with random weights
    (a dense model folder turned into CSR); its first training step, or loading saved weights, clears it.
    """

    config_keys = ["input_dim", "hidden_dim", "k", "k_aux", "normalize", "dead_threshold"]
    forward_kwargs = {"max_active_dims"}

    def __init__(
        self,
        input_dim: int,
        hidden_dim: int = 512,
        k: int = 8,
        k_aux: int = 512,
        normalize: bool = False,
        dead_threshold: int = 30,
    ) -> None:
        super().__init__()
        if not 0 < k <= hidden_dim:
            raise InputError(f"k must be in 1..hidden_dim ({hidden_dim}), got {k}")
        if k_aux < 0:
            raise InputError(f"k_aux must be >= 0 (0 disables the auxiliary loss), got {k_aux}")
        self.input_dim = input_dim
        self.hidden_dim = hidden_dim
        self.k = k
        self.k_aux = k_aux
        self.normalize = normalize
        self.dead_threshold = dead_threshold
        self.pre_bias = nn.Parameter(torch.zeros(input_dim))
        self.encoder = nn.Linear(input_dim, hidden_dim, bias=False)
        self.latent_bias = nn.Parameter(torch.zeros(hidden_dim))
        self.register_buffer("stats_last_nonzero", torch.zeros(hidden_dim, dtype=torch.long))
        self.initialized_from_scratch = False

    def prepare(self, x: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Standardise ``x`` per row when ``normalize`` is on; returns the statistics to undo it."""
        if not self.normalize:
            return x, {}
        mu = x.mean(dim=-1, keepdim=True)
        centred = x - mu
        std = centred.std(dim=-1, keepdim=True)
        return centred / (std + LN_EPS), {"mu": mu, "std": std}

    def encode_pre_act(self, x: torch.Tensor) -> torch.Tensor:
        """Latent pre-activations ``(x - pre_bias) W^T + latent_bias``."""
        return F.linear(x - self.pre_bias, self.encoder.weight, self.latent_bias)

    @staticmethod
    def top_k(pre_act: torch.Tensor, k: int) -> torch.Tensor:
        """ReLU of the ``k`` largest pre-activations per row, zeros elsewhere."""
        k = min(k, pre_act.shape[-1])
        top = torch.topk(pre_act, k=k, dim=-1)
        return F.relu(torch.zeros_like(pre_act).scatter(-1, top.indices, top.values))

    def decode(self, latents: torch.Tensor, info: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        """Tied decoder ``latents W + pre_bias``, de-normalised when ``normalize`` is on."""
        out = latents @ self.encoder.weight + self.pre_bias
        if self.normalize and info:
            out = out * info["std"] + info["mu"]
        return out

    def dead_latents(self) -> torch.Tensor:
        """Boolean mask of latents inactive for more than ``dead_threshold`` training steps."""
        return self.stats_last_nonzero > self.dead_threshold

    def _track_activity(self, latents_k: torch.Tensor) -> None:
        active = (latents_k > ACTIVE_EPS).any(dim=0)
        self.stats_last_nonzero.add_(1).masked_fill_(active, 0)

    def forward(self, features: dict[str, Any], max_active_dims: int | None = None, **kwargs: Any) -> dict[str, Any]:
        k = max_active_dims if max_active_dims is not None else self.k
        x = features["sentence_embedding"]
        prepared, info = self.prepare(x)
        pre_act = self.encode_pre_act(prepared)
        latents_k = self.top_k(pre_act, k)
        features["sentence_embedding"] = latents_k
        if torch.is_inference_mode_enabled():
            return features
        if self.training and torch.is_grad_enabled():
            self.initialized_from_scratch = False
            with torch.no_grad():
                self._track_activity(latents_k)
        latents_4k = self.top_k(pre_act, 4 * k)
        recons_k = self.decode(latents_k, info)
        std = info.get("std", 1.0)
        if self.k_aux > 0:
            latents_aux = self.top_k(pre_act.masked_fill(~self.dead_latents(), 0.0), self.k_aux)
            recons_aux = (latents_aux @ self.encoder.weight + self.pre_bias) * std
        else:
            latents_aux = recons_aux = None
        features.update(
            {
                "sentence_embedding_backbone": x,
                "sentence_embedding_encoded": pre_act,
                "sentence_embedding_encoded_4k": latents_4k,
                "auxiliary_embedding": latents_aux,
                "decoded_embedding_k": recons_k,
                "decoded_embedding_4k": self.decode(latents_4k, info),
                "decoded_embedding_aux": recons_aux,
                "decoded_embedding_k_pre_bias": recons_k - self.pre_bias * std,
            }
        )
        return features

    def get_sentence_embedding_dimension(self) -> int:
        return self.hidden_dim

    @classmethod
    def load(cls, model_path: str, **kwargs: Any) -> "SparseAutoEncoder":
        from .base import load_state_dict

        config = cls.load_config(model_path)
        state = load_state_dict(model_path)
        tied = state.pop("decoder.linear.weight", None)
        if "encoder.weight" not in state and tied is not None:
            state["encoder.weight"] = tied
        expected = (config.get("hidden_dim", 512), config.get("input_dim"))
        found = tuple(state["encoder.weight"].shape) if "encoder.weight" in state else None
        if found != expected:
            raise ModelFormatError(
                f"{model_path}: {cls.config_file_name} says hidden_dim x input_dim = {expected} but the "
                f"encoder weight in {WEIGHTS_NAME} is {found}"
            )
        module = cls(**config)
        module.load_state_dict(state)
        return module

    def __repr__(self) -> str:
        return f"SparseAutoEncoder({self.get_config_dict()})"
