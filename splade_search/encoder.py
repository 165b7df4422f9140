"""SparseEncoder: text -> sparse term-weight vectors, with the sentence-transformers API and folder format."""

from __future__ import annotations

import logging
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any, Iterable

import torch
from torch import nn
from tqdm.auto import tqdm

from . import backends, encoding
from .backends import pool as pool_encoding
from .errors import InputError
from .fastpaths import static_query as fast_query
from .hub import push_folder_to_hub, resolve_model_path
from .model_folder import FolderConfig, folder_versions, load_modules, save_folder
from .modules import InputModule, Router, SparseAutoEncoder, SpladePooling
from .modules.base import Module
from .similarity import SimilarityFunction, similarity_functions
from .sparse import select_max_active_dims
from .sparse import sparsity as _sparsity

logger = logging.getLogger(__name__)


def default_device() -> str:
    """cuda when available, else mps, else cpu."""
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


class SparseEncoder(nn.Sequential):
    """A chain of modules that maps texts to sparse embeddings (SPLADE, inference-free SPLADE or CSR).

    Build it from ``modules``, or load it from an embedded alias (``"splade-tiny"``), a local folder or a
    hub id. Folders are read and written in the sentence-transformers layout.

    A model folder is untrusted: its configs never enable remote code (only ``trust_remote_code=True`` or
    the caller's ``model_kwargs`` do), its module paths must stay inside it and pickled weights are refused.
    A dense model folder loads with an untrained SparseAutoEncoder: see ``has_untrained_modules``.

    ``backend`` runs the transformer bodies in ``"torch"`` (default), ``"onnx"`` (ONNX Runtime) or
    ``"openvino"``, exported on first use; ``model_kwargs`` then also takes that backend's options
    (``file_name``, ``export``, ``provider``, ... as in sentence-transformers; see
    ``splade_search/backends``). Outputs match torch within the tolerance stated in ``backends/onnx.py``.
    """

    def __init__(
        self,
        model_name_or_path: str | None = None,
        modules: Iterable[Module] | None = None,
        device: str | None = None,
        prompts: dict[str, str] | None = None,
        default_prompt_name: str | None = None,
        similarity_fn_name: str | SimilarityFunction | None = None,
        cache_folder: str | None = None,
        trust_remote_code: bool = False,
        revision: str | None = None,
        local_files_only: bool = False,
        token: str | bool | None = None,
        max_active_dims: int | None = None,
        model_kwargs: dict[str, Any] | None = None,
        model_card_data: Any = None,
        backend: str = "torch",
    ) -> None:
        config = FolderConfig()
        backend = backends.check_backend(backend)
        model_kwargs, backend_options = backends.split_model_kwargs(backend, model_kwargs)
        self.model_path: str | None = None
        if model_name_or_path is not None and modules is not None:
            raise InputError("pass either model_name_or_path or modules, not both")
        if model_name_or_path is not None:
            path = resolve_model_path(
                model_name_or_path, revision=revision, token=token, cache_folder=cache_folder, local_files_only=local_files_only
            )
            module_list, config, rule = load_modules(path, dict(model_kwargs or {}), trust_remote_code=trust_remote_code)
            logger.info("loaded %s as %s", model_name_or_path, rule)
            self.model_path = str(path)
        else:
            module_list = list(modules or [])
        super().__init__(*module_list)
        self.model_name_or_path = model_name_or_path
        self.prompts: dict[str, str] = {"query": "", "document": ""}
        self.prompts.update(config.prompts)
        self.prompts.update(prompts or {})
        self.default_prompt_name = default_prompt_name if default_prompt_name is not None else config.default_prompt_name
        if self.default_prompt_name is not None and self.default_prompt_name not in self.prompts:
            raise InputError(f"default_prompt_name {self.default_prompt_name!r} is not in prompts {list(self.prompts)}")
        self._similarity_fn_name: SimilarityFunction | None = None
        chosen = similarity_fn_name if similarity_fn_name is not None else config.similarity_fn_name
        if chosen is not None:
            self.similarity_fn_name = chosen
        if max_active_dims is not None and max_active_dims <= 0:
            raise InputError(f"max_active_dims must be a positive integer, got {max_active_dims}")
        self.max_active_dims = max_active_dims
        self.model_card_data = model_card_data
        self.to(device or default_device())
        self.backend = backend
        if backend != "torch":
            backends.attach(self, backend, backend_options)
        if self.has_untrained_modules:
            warnings.warn(
                f"{model_name_or_path} has no trained sparse head: its SparseAutoEncoder is freshly initialised "
                "(random), so its embeddings change at every load; train it, or save the model before indexing with it",
                UserWarning,
                stacklevel=2,
            )

    # ----- properties -------------------------------------------------------------------------
    @property
    def max_active_dims(self) -> int | None:
        """Active dimensions kept per embedding by default: the value set, else a CSR model's ``k``, else all."""
        if self._max_active_dims is not None:
            return self._max_active_dims
        autoencoder = next((m for m in self if isinstance(m, SparseAutoEncoder)), None)
        return autoencoder.k if autoencoder is not None else None

    @max_active_dims.setter
    def max_active_dims(self, value: int | None) -> None:
        self._max_active_dims = value

    @property
    def has_untrained_modules(self) -> bool:
        """True when a module was created with random weights at load time (a dense model turned into CSR).

        Such a model gives different embeddings at every load until it is trained or saved (the saved
        folder loads with the same weights, and this flag False).
        """
        return any(getattr(m, "initialized_from_scratch", False) for m in self.modules())

    @property
    def device(self) -> torch.device:
        for tensor in list(self.parameters()) + list(self.buffers()):
            return tensor.device
        return torch.device("cpu")

    @property
    def similarity_fn_name(self) -> str:
        """The similarity used by ``similarity``; ``"dot"`` unless set."""
        if self._similarity_fn_name is None:
            self._similarity_fn_name = SimilarityFunction.DOT
        return self._similarity_fn_name.value

    @similarity_fn_name.setter
    def similarity_fn_name(self, value: str | SimilarityFunction) -> None:
        self._similarity_fn_name = SimilarityFunction.parse(value)

    @property
    def input_module(self) -> InputModule:
        return self[0]

    @property
    def tokenizer(self) -> Any:
        """The tokenizer of the document side (the only one for non-Router models)."""
        first = self.input_module
        if isinstance(first, Router):
            route = first.default_route or first.routes[-1]
            return first.sub_modules[route][0].tokenizer
        return first.tokenizer

    @property
    def max_seq_length(self) -> int | None:
        """Maximum tokens per input; longer inputs are truncated."""
        return self.input_module.max_seq_length

    @max_seq_length.setter
    def max_seq_length(self, value: int | None) -> None:
        self.input_module.max_seq_length = value

    @property
    def splade_pooling_chunk_size(self) -> int | None:
        """Sequence chunk length of the SpladePooling (None: automatic)."""
        pooling = self._find(SpladePooling)
        return pooling.chunk_size if pooling is not None else None

    @splade_pooling_chunk_size.setter
    def splade_pooling_chunk_size(self, value: int | None) -> None:
        pooling = self._find(SpladePooling)
        if pooling is None:
            logger.warning("this model has no SpladePooling module; splade_pooling_chunk_size is ignored")
            return
        pooling.chunk_size = value

    @property
    def transformers_model(self) -> Any:
        """The first Hugging Face ``PreTrainedModel`` inside the encoder, if any."""
        from transformers import PreTrainedModel

        return next((m for m in self.modules() if isinstance(m, PreTrainedModel)), None)

    def _find(self, cls: type) -> Any:
        return next((m for m in self.modules() if isinstance(m, cls)), None)

    def get_sentence_embedding_dimension(self) -> int | None:
        """Output dimension: the vocabulary size for SPLADE, ``hidden_dim`` for CSR."""
        for module in reversed(list(self)):
            dim = module.get_sentence_embedding_dimension() if hasattr(module, "get_sentence_embedding_dimension") else None
            if dim is not None:
                return int(dim)
        return None

    get_embedding_dimension = get_sentence_embedding_dimension

    @property
    def truncate_dim(self) -> None:
        raise NotImplementedError("sparse embeddings cannot be truncated; use max_active_dims instead")

    def get_backend(self) -> str:
        """The backend the transformer bodies run on: ``torch``, ``onnx`` or ``openvino``."""
        return self.backend

    def get_model_kwargs(self) -> set[str]:
        """Keyword arguments ``encode`` forwards to the modules."""
        names = {"task"}
        for module in self:
            names |= set(getattr(module, "forward_kwargs", ()))
        return names

    # ----- encoding ---------------------------------------------------------------------------
    def tokenize(self, texts: list[Any], task: str | None = None) -> dict[str, Any]:
        """Tokenize with the input module (the route for ``task`` when the model has a Router)."""
        first = self.input_module
        return first.tokenize(texts, task=task) if isinstance(first, Router) else first.tokenize(texts)

    def forward(self, features: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        for module in self:
            accepted = {k: v for k, v in kwargs.items() if k in getattr(module, "forward_kwargs", ())}
            features = module(features, **accepted)
        return features

    def encode(
        self,
        sentences: str | list[str] | Any,
        prompt_name: str | None = None,
        prompt: str | None = None,
        batch_size: int = 32,
        show_progress_bar: bool | None = None,
        convert_to_tensor: bool = True,
        convert_to_sparse_tensor: bool = True,
        save_to_cpu: bool = False,
        device: str | None = None,
        max_active_dims: int | None = None,
        pool: dict[str, Any] | None = None,
        chunk_size: int | None = None,
        **kwargs: Any,
    ) -> torch.Tensor | list[torch.Tensor]:
        """Encode texts into sparse embeddings: a 1-D result for one string, 2-D for a list.

        ``pool`` (from ``start_multi_process_pool``) spreads whole batches over its worker processes,
        ``chunk_size`` texts per task; the vectors are the same as without a pool.
        """
        allowed = self.get_model_kwargs()
        unknown = sorted(set(kwargs) - allowed)
        if unknown:
            raise InputError(f"encode() got unexpected keyword arguments {unknown}; this model accepts {sorted(allowed)}")
        if batch_size <= 0:
            raise InputError(f"batch_size must be positive, got {batch_size}")
        texts, single = encoding.as_text_batch(sentences)
        if not texts:
            return encoding.empty_result(convert_to_tensor, convert_to_sparse_tensor, save_to_cpu)
        text_prompt = encoding.resolve_prompt(self.prompts, prompt, prompt_name, self.default_prompt_name)
        if text_prompt:
            texts = [text_prompt + t if isinstance(t, str) else (text_prompt + t[0], *t[1:]) for t in texts]
        max_active_dims = max_active_dims if max_active_dims is not None else self.max_active_dims
        if pool is not None:
            order = encoding.length_order(texts)
            options = dict(kwargs, prompt="", max_active_dims=max_active_dims, show_progress_bar=False)
            chunks = pool_encoding.encode(texts, pool, order, batch_size, chunk_size, options)
            chunks = chunks if convert_to_sparse_tensor else [c.to_dense() for c in chunks]
            result = encoding.assemble(chunks, order, convert_to_tensor, convert_to_sparse_tensor)
            return encoding.first_row(result) if single else result
        forward_kwargs = dict(kwargs)
        if max_active_dims is not None:
            forward_kwargs["max_active_dims"] = max_active_dims
        task = forward_kwargs.pop("task", None)
        fast = fast_query.encode(
            self, texts, single=single, task=task, forward_kwargs=forward_kwargs, convert_to_tensor=convert_to_tensor,
            convert_to_sparse_tensor=convert_to_sparse_tensor, device=device,
        )
        if fast is not None:  # inference-free query route: an exact tokenizer + lookup shortcut
            return fast
        if device is not None:
            self.to(device)
        self.eval()
        order = encoding.length_order(texts)
        starts = range(0, len(texts), batch_size)
        batches = []
        for start in tqdm(starts, desc="Encoding", disable=not show_progress_bar, unit="batch"):
            chunk = [texts[i] for i in order[start : start + batch_size]]
            features = self.tokenize(chunk, task=task)
            features = {k: v.to(self.device) if isinstance(v, torch.Tensor) else v for k, v in features.items()}
            with torch.inference_mode():
                out = self.forward(features, task=task, **forward_kwargs)["sentence_embedding"].float()
                out = select_max_active_dims(out, max_active_dims)
                if convert_to_sparse_tensor:
                    out = out.to_sparse()
                if save_to_cpu:
                    out = out.cpu()
            batches.append(out)
        result = encoding.assemble(batches, order, convert_to_tensor, convert_to_sparse_tensor)
        return encoding.first_row(result) if single else result

    def start_multi_process_pool(self, target_devices: list[str] | None = None) -> dict[str, Any]:
        """Worker processes for ``encode(..., pool=...)``: one per device (default: each GPU, else two CPU workers).

        CPU workers share the cores among them; see ``splade_search/backends/pool.py`` for when it pays.
        The model moves to the CPU (its tensors to shared memory). Each worker holds the model as it is now:
        settings changed later (``max_seq_length``, a pooling's ``projection_dtype``) do not reach it, so
        set them first. Stop it with ``stop_multi_process_pool``.
        """
        return pool_encoding.start_pool(self, target_devices)

    @staticmethod
    def stop_multi_process_pool(pool: dict[str, Any]) -> None:
        """Stop the workers of ``start_multi_process_pool``."""
        pool_encoding.stop_pool(pool)

    def encode_query(self, sentences: Any, prompt_name: str | None = None, prompt: str | None = None, **kwargs: Any) -> Any:
        """Encode queries: the ``query`` prompt and the ``query`` route of a Router."""
        if prompt is None and prompt_name is None and "query" in self.prompts:
            prompt_name = "query"
        kwargs.setdefault("task", "query")
        return self.encode(sentences, prompt_name=prompt_name, prompt=prompt, **kwargs)

    def encode_document(self, sentences: Any, prompt_name: str | None = None, prompt: str | None = None, **kwargs: Any) -> Any:
        """Encode documents: the ``document``/``passage``/``corpus`` prompt and the ``document`` route."""
        if prompt is None and prompt_name is None:
            prompt_name = encoding.document_prompt_name(self.prompts)
        kwargs.setdefault("task", "document")
        return self.encode(sentences, prompt_name=prompt_name, prompt=prompt, **kwargs)

    # ----- scores and inspection ----------------------------------------------------------------
    def similarity(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """[N, M] scores with ``similarity_fn_name``; sparse or dense inputs, dense output."""
        return similarity_functions(self.similarity_fn_name)[0](a, b)

    def similarity_pairwise(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """[N] scores of matching rows with ``similarity_fn_name``."""
        return similarity_functions(self.similarity_fn_name)[1](a, b)

    @staticmethod
    def sparsity(embeddings: torch.Tensor) -> dict[str, float]:
        """Mean active dimensions per row and the sparsity ratio."""
        return _sparsity(embeddings)

    @staticmethod
    def intersection(embeddings_1: torch.Tensor, embeddings_2: torch.Tensor) -> torch.Tensor:
        """Elementwise product of a 1-D embedding with a 1-D or 2-D one, keeping positive values (sparse COO)."""
        a = embeddings_1.to_dense() if embeddings_1.is_sparse else embeddings_1
        b = embeddings_2.to_dense() if embeddings_2.is_sparse else embeddings_2
        if a.dim() != 1:
            raise InputError(f"the first embedding must be 1-D, got shape {tuple(a.shape)}")
        if a.shape[-1] != b.shape[-1]:
            raise InputError(f"dimension mismatch: {a.shape[-1]} vs {b.shape[-1]}")
        product = a * b
        return product.clamp(min=0).to_sparse()

    def decode(self, embeddings: torch.Tensor, top_k: int | None = None) -> list[tuple[str, float]] | list[list[tuple[str, float]]]:
        """Tokens and weights of each embedding, heaviest first (``top_k`` of them if given)."""
        if top_k is not None and (not isinstance(top_k, int) or top_k <= 0):
            raise InputError(f"top_k must be a positive integer or None, got {top_k!r}")
        if not isinstance(embeddings, torch.Tensor):
            raise InputError(f"decode expects a torch.Tensor, got {type(embeddings).__name__}")
        if embeddings.dim() not in (1, 2):
            raise InputError(f"decode expects a 1-D or 2-D tensor, got {embeddings.dim()} dimensions")
        if self._find(SparseAutoEncoder) is not None:
            raise InputError("decode needs vocabulary-sized embeddings; CSR latents have no tokens")
        dense = (embeddings.to_dense() if embeddings.is_sparse else embeddings).detach().cpu()
        rows = dense.unsqueeze(0) if dense.dim() == 1 else dense
        decoded = []
        for row in rows:
            ids = torch.nonzero(row, as_tuple=True)[0]
            weights = row[ids]
            ranked = torch.argsort(weights, descending=True, stable=True)[: top_k or None]
            tokens = self.tokenizer.convert_ids_to_tokens(ids[ranked].tolist())
            decoded.append(list(zip(tokens, weights[ranked].tolist())))
        return decoded[0] if dense.dim() == 1 else decoded

    # ----- persistence ------------------------------------------------------------------------
    def save(
        self,
        path: str,
        model_name: str | None = None,
        create_model_card: bool = True,
        train_datasets: list[str] | None = None,
        safe_serialization: bool = True,
    ) -> None:
        """Write the model folder (sentence-transformers v5 layout) atomically."""
        config = FolderConfig(self.prompts, self.default_prompt_name, self.similarity_fn_name)
        save_folder(list(self), path, config, folder_versions(), safe_serialization)
        if create_model_card:
            from .model_card import write_model_card

            write_model_card(self, Path(path), model_name=model_name, train_datasets=train_datasets)

    save_pretrained = save

    @classmethod
    def load(cls, path: str, **kwargs: Any) -> "SparseEncoder":
        """Load a model folder (same as ``SparseEncoder(path)``)."""
        return cls(path, **kwargs)

    def push_to_hub(
        self,
        repo_id: str,
        token: str | None = None,
        private: bool | None = None,
        safe_serialization: bool = True,
        commit_message: str | None = None,
        local_model_path: str | None = None,
        exist_ok: bool = False,
        replace_model_card: bool = False,
        train_datasets: list[str] | None = None,
        revision: str | None = None,
        create_pr: bool = False,
    ) -> str:
        """Save the model and upload it to the Hugging Face hub; returns the commit (or PR) URL."""
        with tempfile.TemporaryDirectory() as tmp:
            folder = local_model_path or os.path.join(tmp, "model")
            if local_model_path is None:
                self.save(folder, model_name=repo_id, train_datasets=train_datasets, safe_serialization=safe_serialization)
            elif replace_model_card:
                from .model_card import write_model_card

                write_model_card(self, Path(folder), model_name=repo_id, train_datasets=train_datasets)
            return push_folder_to_hub(
                folder,
                repo_id,
                token=token,
                private=private,
                commit_message=commit_message,
                exist_ok=exist_ok,
                revision=revision,
                create_pr=create_pr,
            )

    def evaluate(self, evaluator: Any, output_path: str | None = None) -> dict[str, float]:
        """Run an evaluator on this model."""
        if output_path is not None:
            os.makedirs(output_path, exist_ok=True)
        return evaluator(self, output_path=output_path)

    def __repr__(self) -> str:
        inner = "\n".join(f"  ({i}): {module!r}" for i, module in enumerate(self))
        return f"SparseEncoder(\n{inner}\n)"

