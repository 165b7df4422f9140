"""What a model folder may ask for. Everything a folder holds is untrusted input.

Every value read from a folder's JSON configs passes through here on its way to a module or to
transformers: JSON is type-checked (ModelFormatError naming the file), the keyword arguments a folder
forwards to transformers lose every key that can run, fetch or unpickle code or name other files, and
the module paths it lists must stay inside the folder. Only the caller can switch on remote code.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

from ..errors import ModelFormatError

# Keys a folder may never forward to transformers: they run or fetch code, read pickles or other files.
FORBIDDEN_KEYS = frozenset(
    {
        "trust_remote_code",
        "code_revision",
        "revision",
        "token",
        "use_auth_token",
        "local_files_only",
        "force_download",
        "proxies",
        "subfolder",
        "config",
        "state_dict",
        "from_tf",
        "from_flax",
        "use_safetensors",
        "weights_only",
        "use_kernels",
        "kernel_config",
        "adapter_kwargs",
        "pretrained_model_name_or_path",
        "auto_map",
        "tokenizer_object",
    }
)
FORBIDDEN_SUFFIXES = ("_file", "_files", "_path", "_dir", "_folder", "_revision")
KWARG_GROUPS = ("model_args", "tokenizer_args", "config_args")


def is_forbidden(key: str, value: Any) -> bool:
    """Whether a folder-provided transformers kwarg could load code or reach outside the folder."""
    if key in FORBIDDEN_KEYS or key.startswith("_") or key.endswith(FORBIDDEN_SUFFIXES):
        return True
    # an attention implementation named like "org/repo" or "org/repo:fn" is a hub kernel: downloaded code
    return key == "attn_implementation" and isinstance(value, str) and ("/" in value or ":" in value)


def folder_kwargs(value: Any, source: str, group: str) -> dict[str, Any]:
    """The ``model_args``/``tokenizer_args``/``config_args`` a folder file provides, made safe.

    ``source`` is the file the value was read from; dropped keys are reported with a warning naming it.
    """
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ModelFormatError(f"{source}: {group!r} must be a JSON object, got {type(value).__name__}")
    dropped = sorted(str(k) for k, v in value.items() if is_forbidden(str(k), v))
    asked = [k for k in dropped if value[k] not in (None, False)]
    if asked:
        warnings.warn(
            f"{source}: ignored {group} {asked}: a model folder cannot enable remote code or name other "
            "files; pass trust_remote_code=True (--trust-remote-code) yourself if you trust this model",
            UserWarning,
            stacklevel=2,
        )
    return {str(k): v for k, v in value.items() if str(k) not in dropped}


def inside_folder(root: str, relative: Any, source: str, entry: Any) -> str:
    """``root/relative``, refused unless it stays inside ``root`` once symlinks are resolved."""
    if not isinstance(relative, str):
        raise ModelFormatError(f"{source}: entry {entry!r} has a path that is not a string")
    real_root = os.path.realpath(root)
    target = os.path.realpath(os.path.join(real_root, relative))
    if os.path.isabs(relative) or os.path.commonpath([real_root, target]) != real_root:
        raise ModelFormatError(
            f"{source}: entry {entry!r} points outside the model folder ({relative!r}); "
            "module paths must be folders inside the model folder"
        )
    return os.path.join(root, relative) if relative else root


def json_object(data: Any, source: str) -> dict[str, Any]:
    """``data`` if it is a JSON object; ModelFormatError naming ``source`` otherwise."""
    if not isinstance(data, dict):
        raise ModelFormatError(f"{source} must hold a JSON object, got {type(data).__name__}")
    return data


def checked_max_seq_length(value: Any, limit: int | None, source: str) -> int | None:
    """``value`` if it is None or a positive int within ``limit``; ModelFormatError naming ``source``."""
    problem = max_seq_length_problem(value, limit)
    if problem:
        raise ModelFormatError(f"{source}: {problem}")
    return value


def max_seq_length_problem(value: Any, limit: int | None) -> str | None:
    """Why ``value`` is not a usable max_seq_length (None when it is)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        return f"max_seq_length must be a positive integer, got {value!r}"
    if value <= 0:
        return f"max_seq_length must be a positive integer, got {value}"
    if limit is not None and value > limit:
        return f"max_seq_length {value} exceeds the model's {limit} position embeddings"
    return None
