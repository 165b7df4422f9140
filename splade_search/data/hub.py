"""Loading a dataset from the Hugging Face Hub, with errors that say what to do when it is unreachable."""

from __future__ import annotations

import os
from typing import Any

from ..errors import InputError

_OFFLINE_VARIABLES = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")


def hub_offline() -> bool:
    """Whether the environment puts the Hugging Face Hub in offline mode."""
    return any(os.environ.get(name, "").upper() in {"1", "ON", "YES", "TRUE"} for name in _OFFLINE_VARIABLES)


def load_hub_dataset(name: str, config: str | None = None, split: str | None = None, *, local_hint: str) -> Any:
    """Load one split of hub dataset ``name`` (a ``datasets.Dataset``).

    With ``split=None`` the dataset must have exactly one split. Any failure raises
    :class:`InputError`; when the hub cannot be reached, the message includes ``local_hint``
    (how to use local files instead). In offline mode (``HF_HUB_OFFLINE=1``) only cached
    datasets load, and a missing one fails at once.
    """
    try:
        import datasets
    except ImportError as err:
        raise InputError(f"loading hub dataset {name!r} needs the 'datasets' package: pip install datasets") from err
    described = _describe(name, config, split)
    try:
        loaded = datasets.load_dataset(name, config, split=split)
    except ConnectionError as err:
        reason = "the hub is in offline mode (HF_HUB_OFFLINE=1) and it is not cached" if hub_offline() else err
        raise InputError(f"cannot load {described}: {reason}. {local_hint}") from err
    except FileNotFoundError as err:
        raise InputError(
            f"cannot load {described}: not found on the hub or in the cache ({err}). {local_hint}"
        ) from err
    except ValueError as err:
        raise InputError(f"cannot load {described}: {err}") from err
    if isinstance(loaded, datasets.DatasetDict):
        if len(loaded) != 1:
            raise InputError(f"{described} has splits {', '.join(loaded)}; choose one with a split argument")
        loaded = next(iter(loaded.values()))
    return loaded


def _describe(name: str, config: str | None, split: str | None) -> str:
    details = ", ".join(f"{key} {value!r}" for key, value in (("config", config), ("split", split)) if value)
    return f"hub dataset {name!r}" + (f" ({details})" if details else "")
