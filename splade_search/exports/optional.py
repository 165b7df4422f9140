"""The optional packages exports use (qdrant-client, pyarrow), imported only when an export needs them."""

from __future__ import annotations

import importlib
from typing import Any

from ..errors import BackendUnavailableError


def import_extra(module: str) -> Any:
    """Import ``module``, or raise `BackendUnavailableError` saying that the ``export`` extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        package = module.split(".")[0].replace("_", "-")
        raise BackendUnavailableError(
            f"this export needs the {package!r} package: pip install 'splade-search[export]' ({exc})"
        ) from exc
