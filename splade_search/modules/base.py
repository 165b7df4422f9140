"""The module protocol shared by every building block of a SparseEncoder.

A module is an ``nn.Module`` whose ``forward`` takes and returns a ``features`` dict. Its
configuration is a plain JSON dict (``get_config_dict``) and ``save``/``load`` are mirror images.
Input modules also tokenize text and are saved in the model root.
"""

from __future__ import annotations

import json
import os
import stat
from typing import Any

import torch
from torch import nn

from ..errors import InputError, ModelFormatError

WEIGHTS_NAME = "model.safetensors"


class Module(nn.Module):
    """Base of all modules: JSON config, safetensors weights, features-dict forward."""

    config_keys: list[str] = []
    config_file_name: str = "config.json"
    save_in_root: bool = False
    forward_kwargs: set[str] = set()

    def get_config_dict(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this module, as plain JSON values."""
        return {key: getattr(self, key) for key in self.config_keys}

    def save_config(self, output_path: str) -> None:
        """Write ``config_file_name`` into ``output_path``."""
        os.makedirs(output_path, exist_ok=True)
        with open(os.path.join(output_path, self.config_file_name), "w", encoding="utf-8") as f:
            json.dump(self.get_config_dict(), f, indent=2)

    @classmethod
    def load_config(cls, model_path: str) -> dict[str, Any]:
        """Read ``config_file_name`` from ``model_path`` (missing file: empty config)."""
        path = os.path.join(model_path, cls.config_file_name)
        if not os.path.exists(path):
            return {}
        return read_json(path, expect=dict)

    def save_weights(self, output_path: str, safe_serialization: bool = True) -> None:
        """Write this module's state dict (safetensors unless asked otherwise)."""
        save_state_dict(self.state_dict(), output_path, safe_serialization)

    def load_weights(self, model_path: str, strict: bool = True) -> None:
        """Load weights written by ``save_weights`` into this module."""
        self.load_state_dict(load_state_dict(model_path), strict=strict)

    def save(self, output_path: str, safe_serialization: bool = True) -> None:
        """Write config and weights to ``output_path``."""
        self.save_config(output_path)
        self.save_weights(output_path, safe_serialization)

    @classmethod
    def load(cls, model_path: str, **kwargs: Any) -> "Module":
        """Rebuild the module saved in ``model_path``."""
        module = cls(**cls.load_config(model_path))
        module.load_weights(model_path)
        return module


class InputModule(Module):
    """A module that turns raw text into tensors; it is saved in the model root."""

    save_in_root = True

    def tokenize(self, texts: list[str], **kwargs: Any) -> dict[str, torch.Tensor]:
        """Tokenize a batch of texts into model inputs."""
        raise NotImplementedError

    @property
    def max_seq_length(self) -> int | None:
        return getattr(self, "_max_seq_length", None)

    @max_seq_length.setter
    def max_seq_length(self, value: int | None) -> None:
        from .untrusted import max_seq_length_problem

        problem = max_seq_length_problem(value, self.position_limit())
        if problem:
            raise InputError(problem)
        self._max_seq_length = value

    def position_limit(self) -> int | None:
        """The most tokens the model can take (its position embeddings), or None when unbounded."""
        return None


def read_json(path: str, expect: type | None = dict) -> Any:
    """Read a JSON file holding an ``expect`` (object by default; None: anything).

    Anything else (not a regular file, not UTF-8, not JSON, another type) is a ModelFormatError naming the file.
    """
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise ModelFormatError(f"{path} is not a regular file")
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise ModelFormatError(f"{path} is not valid JSON: {exc}") from exc
    except OSError as exc:
        raise ModelFormatError(f"{path} cannot be read: {exc.strerror or exc}") from exc
    if expect is not None and not isinstance(data, expect):
        kind = {dict: "a JSON object", list: "a JSON list"}.get(expect, expect.__name__)
        raise ModelFormatError(f"{path} must hold {kind}, got {type(data).__name__}")
    return data


def save_state_dict(state: dict[str, torch.Tensor], output_path: str, safe_serialization: bool = True) -> None:
    """Write a state dict as ``model.safetensors`` (or ``pytorch_model.bin`` when not safe)."""
    os.makedirs(output_path, exist_ok=True)
    if safe_serialization:
        from safetensors.torch import save_file

        save_file({k: v.detach().contiguous().cpu() for k, v in state.items()}, os.path.join(output_path, WEIGHTS_NAME))
    else:
        torch.save(state, os.path.join(output_path, "pytorch_model.bin"))


def load_state_dict(model_path: str) -> dict[str, torch.Tensor]:
    """Read ``model.safetensors`` from ``model_path``; refuses pickled weights."""
    path = os.path.join(model_path, WEIGHTS_NAME)
    if not os.path.exists(path):
        if os.path.exists(os.path.join(model_path, "pytorch_model.bin")):
            raise ModelFormatError(
                f"{model_path} holds only pickled weights (pytorch_model.bin), which splade-search never "
                "unpickles. Convert them to model.safetensors with a tool you trust."
            )
        raise ModelFormatError(f"{model_path} has no {WEIGHTS_NAME}")
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(path)
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelFormatError(f"{path} is corrupted or truncated: {exc}") from exc
