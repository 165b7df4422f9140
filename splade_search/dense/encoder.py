"""DenseEncoder: texts -> dense vectors with a sentence-transformers dense folder, through our own modules.

The folder is loaded as it is (`model_folder.load_dense_modules`): no sparse head is added, configs
never enable remote code and pickled weights are refused, as for every model folder. Embeddings
are float32 numpy rows; a model scored by cosine similarity gets unit-length rows, so the inner
product of a query and a document row is the model's own similarity.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from .. import encoding
from ..errors import InputError, ModelFormatError
from ..hub import resolve_model_path
from ..model_folder import load_dense_modules, output_dimension
from ..modules import Router
from ..modules.base import Module

DEFAULT_DENSE_MODEL = "minilm"
SIMILARITIES = ("cosine", "dot")


class DenseEncoder(nn.Sequential):
    """A dense sentence-transformers model: ``encode_query`` / ``encode_document`` give float32 rows.

    Load it from an embedded alias (``"minilm"``, the default), a local folder or a hub id, or
    build it from ``modules``.
    """

    def __init__(
        self,
        model_name_or_path: str | None = DEFAULT_DENSE_MODEL,
        *,
        modules: list[Module] | None = None,
        device: str | None = None,
        prompts: dict[str, str] | None = None,
        similarity_fn_name: str | None = None,
        trust_remote_code: bool = False,
        model_kwargs: dict[str, Any] | None = None,
        local_files_only: bool = False,
    ) -> None:
        from ..encoder import default_device

        folder_prompts: dict[str, str] = {}
        folder_similarity = None
        self.model_path: str | None = None
        if modules is not None:
            model_name_or_path = None
            chain = list(modules)
        else:
            if model_name_or_path is None:
                raise InputError("pass a dense model (an alias, folder or hub id) or modules")
            path = resolve_model_path(model_name_or_path, local_files_only=local_files_only)
            chain, config = load_dense_modules(path, model_kwargs, trust_remote_code=trust_remote_code)
            folder_prompts, folder_similarity = config.prompts, config.similarity_fn_name
            self.model_path = str(path)
        super().__init__(*chain)
        self.model_name_or_path = model_name_or_path
        self.dimension = output_dimension(chain)
        self.prompts = {**folder_prompts, **(prompts or {})}
        similarity = similarity_fn_name or folder_similarity or "cosine"
        if similarity not in SIMILARITIES:
            raise ModelFormatError(f"dense similarity {similarity!r} is not supported; use one of {', '.join(SIMILARITIES)}")
        self.similarity_fn_name = similarity
        self.to(device or default_device())

    @property
    def device(self) -> torch.device:
        """Where the weights are."""
        for tensor in self.parameters():
            return tensor.device
        return torch.device("cpu")

    @property
    def max_seq_length(self) -> int | None:
        """Tokens kept per text."""
        return getattr(self[0], "max_seq_length", None)

    @max_seq_length.setter
    def max_seq_length(self, value: int | None) -> None:
        self[0].max_seq_length = value

    def encode(self, texts: list[str], *, task: str | None = None, prompt: str | None = None, batch_size: int = 32) -> np.ndarray:
        """One float32 row per text (unit length for cosine models), in input order."""
        if batch_size <= 0:
            raise InputError(f"batch_size must be positive, got {batch_size}")
        batch, _ = encoding.as_text_batch(texts)
        if not batch:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if prompt:
            batch = [prompt + text for text in batch]
        self.eval()
        order = encoding.length_order(batch)
        rows = np.empty((len(batch), self.dimension), dtype=np.float32)
        for start in range(0, len(batch), batch_size):
            positions = order[start : start + batch_size]
            features = self._tokenize([batch[i] for i in positions], task)
            features = {k: v.to(self.device) if isinstance(v, torch.Tensor) else v for k, v in features.items()}
            with torch.inference_mode():
                out = self._forward(features, task)["sentence_embedding"].float()
                if self.similarity_fn_name == "cosine":
                    out = torch.nn.functional.normalize(out, p=2, dim=1)
            rows[positions] = out.cpu().numpy()
        return rows

    def encode_query(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Query rows (the folder's ``query`` prompt and route, when it has them)."""
        return self.encode(texts, task="query", prompt=self.prompts.get("query"), batch_size=batch_size)

    def encode_document(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Document rows (the folder's ``document``/``passage``/``corpus`` prompt, ``document`` route)."""
        name = encoding.document_prompt_name(self.prompts)
        return self.encode(texts, task="document", prompt=self.prompts.get(name) if name else None, batch_size=batch_size)

    def _tokenize(self, texts: list[str], task: str | None) -> dict[str, Any]:
        first = self[0]
        return first.tokenize(texts, task=task) if isinstance(first, Router) else first.tokenize(texts)

    def _forward(self, features: dict[str, Any], task: str | None) -> dict[str, Any]:
        for module in self:
            features = module(features, task=task) if isinstance(module, Router) else module(features)
        return features

    def __repr__(self) -> str:
        return f"DenseEncoder({self.model_name_or_path!r}, dim={self.dimension}, similarity={self.similarity_fn_name!r})"
