"""Read and write SparseEncoder folders in the sentence-transformers layout.

Writes the v5 layout (``modules.json``, ``config_sentence_transformers.json``, one folder per module,
the first input module in the root) and reads v5 and v6 folders, plain Hugging Face checkpoints
(masked LM -> SPLADE, any other encoder -> CSR) and dense sentence-transformers folders (-> CSR).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ModelFormatError
from .files import apply_umask_tree
from .modules import SparseAutoEncoder, SpladePooling
from .modules.base import Module, read_json
from .modules.untrusted import inside_folder

MODULES_FILE = "modules.json"
ST_CONFIG_FILE = "config_sentence_transformers.json"
ST_LAYOUT_VERSION = "5.1.0"
"""The sentence-transformers version whose folder layout `save_folder` writes (recorded in `ST_CONFIG_FILE`)."""


@dataclass
class FolderConfig:
    """The encoder-level settings kept in ``config_sentence_transformers.json``."""

    prompts: dict[str, str] = field(default_factory=dict)
    default_prompt_name: str | None = None
    similarity_fn_name: str | None = None
    model_type: str = "SparseEncoder"


def module_folder(idx: int, module: Module) -> str:
    """Relative folder of the module at position ``idx``: the root for the first input module."""
    return "" if idx == 0 and module.save_in_root else f"{idx}_{type(module).__name__}"


def folder_versions() -> dict[str, str]:
    """The versions a saved folder records: the sentence-transformers layout, this package, transformers, torch."""
    import torch
    import transformers

    from . import __version__

    return {
        "sentence_transformers": ST_LAYOUT_VERSION,
        "splade_search": __version__,
        "transformers": transformers.__version__,
        "pytorch": torch.__version__,
    }


def save_folder(modules: list[Module], path: str, config: FolderConfig, versions: dict[str, str], safe_serialization: bool = True) -> None:
    """Write modules and configs to ``path`` atomically: a failure leaves no half-written model."""
    from .modules.registry import write_name

    target = Path(path).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        entries = []
        for idx, module in enumerate(modules):
            sub = module_folder(idx, module)
            module.save(str(staging / sub) if sub else str(staging), safe_serialization=safe_serialization)
            entries.append({"idx": idx, "name": str(idx), "path": sub, "type": write_name(module)})
        _write_json(staging / MODULES_FILE, entries)
        _write_json(
            staging / ST_CONFIG_FILE,
            {
                "model_type": config.model_type,
                "__version__": versions,
                "prompts": config.prompts,
                "default_prompt_name": config.default_prompt_name,
                "similarity_fn_name": config.similarity_fn_name,
            },
        )
        apply_umask_tree(staging)  # mkdtemp and some writers make private (0700/0600) entries
        _replace_folder(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _write_json(path: Path, data: Any) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2)


def _replace_folder(staging: Path, target: Path) -> None:
    """Swap ``staging`` into ``target``, keeping any files of ``target`` the model did not write."""
    if not target.exists():
        os.replace(staging, target)
        return
    for item in staging.iterdir():
        dest = target / item.name
        if dest.is_dir() and not dest.is_symlink():
            shutil.rmtree(dest)
        os.replace(item, dest)


def load_folder_config(path: Path) -> FolderConfig | None:
    """The ``config_sentence_transformers.json`` settings, or None when the file is absent."""
    file = path / ST_CONFIG_FILE
    if not file.exists():
        return None
    data = read_json(str(file))
    prompts = data.get("prompts") or {}
    if not isinstance(prompts, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in prompts.items()):
        raise ModelFormatError(f"{file}: 'prompts' must map prompt names to strings")
    for key in ("default_prompt_name", "similarity_fn_name", "model_type"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise ModelFormatError(f"{file}: {key!r} must be a string, got {data[key]!r}")
    return FolderConfig(
        prompts=dict(prompts),
        default_prompt_name=data.get("default_prompt_name"),
        similarity_fn_name=data.get("similarity_fn_name"),
        model_type=data.get("model_type") or "SentenceTransformer",
    )


def load_modules(
    path: Path, model_kwargs: dict[str, Any] | None = None, trust_remote_code: bool = False
) -> tuple[list[Module], FolderConfig, str]:
    """Load the modules a folder describes; returns ``(modules, config, architecture_rule)``.

    ``model_kwargs`` and ``trust_remote_code`` come from the caller: the only way remote code is enabled.
    Freshly created (untrained) SparseAutoEncoders are marked ``initialized_from_scratch``.
    """
    from .modules import MLMTransformer, Pooling, Transformer
    from .modules.registry import load_class, load_module

    trust = bool(trust_remote_code or (model_kwargs or {}).get("trust_remote_code"))
    hf_kwargs: dict[str, Any] = {"model_args": model_kwargs or None, "trust_remote_code": trust}
    config = load_folder_config(path) or FolderConfig()
    modules_file = path / MODULES_FILE
    if modules_file.exists():
        modules = [load_module(kind, sub, **hf_kwargs) for kind, sub in _module_entries(path, modules_file)]
        if config.model_type == "SparseEncoder":
            return modules, config, "sparse-encoder folder"
        dim = output_dimension(modules)
        modules.append(_fresh_autoencoder(dim, hidden=4 * dim, k=dim // 4, k_aux=dim // 2))
        config.model_type = "SparseEncoder"
        return modules, config, "dense sentence-transformers folder + untrained SparseAutoEncoder (CSR)"
    hf_config = path / "config.json"
    if not hf_config.exists():
        raise ModelFormatError(
            f"{path} is not a model folder: it has neither modules.json (a sentence-transformers model) "
            "nor config.json (a Hugging Face model)"
        )
    architectures = read_json(str(hf_config)).get("architectures") or []
    if not isinstance(architectures, list):
        raise ModelFormatError(f"{hf_config}: 'architectures' must be a list, got {architectures!r}")
    if any(str(a).endswith("ForMaskedLM") for a in architectures):
        return [load_class(MLMTransformer, str(path), **hf_kwargs), SpladePooling("max")], config, "masked LM -> SPLADE"
    transformer = load_class(Transformer, str(path), **hf_kwargs)
    dim = transformer.get_word_embedding_dimension()
    hidden = 4 * dim
    modules = [transformer, Pooling(dim, "mean"), _fresh_autoencoder(dim, hidden, k=min(256, hidden), k_aux=min(512, hidden))]
    return modules, config, "encoder -> Transformer + mean Pooling + untrained SparseAutoEncoder (CSR)"


def load_dense_modules(
    path: Path, model_kwargs: dict[str, Any] | None = None, trust_remote_code: bool = False
) -> tuple[list[Module], FolderConfig]:
    """The modules of a dense sentence-transformers folder as they are (no sparse head added).

    A plain Hugging Face encoder checkpoint gets mean pooling, as sentence-transformers does. Sparse
    encoder folders and masked-LM checkpoints are refused with `ModelFormatError`.
    """
    from .modules import Pooling, Transformer
    from .modules.registry import load_class, load_module

    trust = bool(trust_remote_code or (model_kwargs or {}).get("trust_remote_code"))
    hf_kwargs: dict[str, Any] = {"model_args": model_kwargs or None, "trust_remote_code": trust}
    config = load_folder_config(path) or FolderConfig(model_type="SentenceTransformer")
    if config.model_type == "SparseEncoder":
        raise ModelFormatError(f"{path} is a sparse encoder; a dense retriever needs a dense sentence-transformers model")
    modules_file = path / MODULES_FILE
    if modules_file.exists():
        modules = [load_module(kind, sub, **hf_kwargs) for kind, sub in _module_entries(path, modules_file)]
        sparse = [type(m).__name__ for m in modules if type(m).__name__ in _SPARSE_MODULES]
        if sparse:
            raise ModelFormatError(f"{modules_file} holds sparse modules ({', '.join(sparse)}); pass a dense model")
        output_dimension(modules)
        return modules, config
    hf_config = path / "config.json"
    if not hf_config.exists():
        raise ModelFormatError(f"{path} is not a model folder: it has neither modules.json nor config.json")
    architectures = read_json(str(hf_config)).get("architectures") or []
    if not isinstance(architectures, list) or any(str(a).endswith("ForMaskedLM") for a in architectures):
        raise ModelFormatError(f"{hf_config}: a masked-LM checkpoint is a SPLADE model, not a dense encoder")
    transformer = load_class(Transformer, str(path), **hf_kwargs)
    return [transformer, Pooling(transformer.get_word_embedding_dimension(), "mean")], config


_SPARSE_MODULES = ("MLMTransformer", "SpladePooling", "SparseStaticEmbedding", "SparseAutoEncoder")


def _module_entries(path: Path, modules_file: Path) -> list[tuple[str, str]]:
    """``(type, folder)`` of each modules.json entry in ``idx`` order; every folder stays inside ``path``."""
    entries = read_json(str(modules_file), expect=list)
    if not entries:
        raise ModelFormatError(f"{modules_file} must be a non-empty JSON list of modules")
    checked = []
    for position, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ModelFormatError(f"{modules_file}: entry {position} must be a JSON object, got {entry!r}")
        if not isinstance(entry.get("type"), str) or "path" not in entry:
            raise ModelFormatError(f"{modules_file}: entry {entry} lacks a 'type' string or a 'path'")
        idx = entry.get("idx", position)
        if isinstance(idx, bool) or not isinstance(idx, int):
            raise ModelFormatError(f"{modules_file}: entry {entry} has a non-integer 'idx'")
        folder = inside_folder(str(path), entry["path"], str(modules_file), entry)
        checked.append((idx, entry["type"], folder))
    return [(kind, folder) for _, kind, folder in sorted(checked, key=lambda item: item[0])]


def _fresh_autoencoder(dim: int, hidden: int, k: int, k_aux: int) -> SparseAutoEncoder:
    autoencoder = SparseAutoEncoder(input_dim=dim, hidden_dim=hidden, k=k, k_aux=k_aux)
    autoencoder.initialized_from_scratch = True
    return autoencoder


def output_dimension(modules: list[Module]) -> int:
    """The embedding dimension of a module chain (the last module that tells it)."""
    for module in reversed(modules):
        dim = module.get_sentence_embedding_dimension() if hasattr(module, "get_sentence_embedding_dimension") else None
        if dim:
            return int(dim)
    raise ModelFormatError("cannot tell the embedding dimension of the sentence-transformers model")
