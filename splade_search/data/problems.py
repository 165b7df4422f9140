"""How readers report input they skip: one warning category, and a warn-or-raise policy."""

from __future__ import annotations

import warnings
from typing import Literal

from ..errors import DataFormatError, InputError

OnProblem = Literal["warn", "error"]
"""What to do with a bad record: skip it with a :class:`DataWarning`, or raise :class:`DataFormatError`."""


class DataWarning(UserWarning):
    """Input was skipped or looks wrong, but reading went on; the message names what and where."""


def warn_data(message: str) -> None:
    """Emit ``message`` as a :class:`DataWarning` (the one channel for every skipped record)."""
    warnings.warn(message, DataWarning, stacklevel=3)


def check_on_problem(name: str, value: str) -> None:
    """Raise :class:`InputError` unless ``value`` is a valid :data:`OnProblem` for argument ``name``."""
    if value not in ("warn", "error"):
        raise InputError(f"{name} must be 'warn' or 'error', got {value!r}")


def handle_problem(message: str, policy: OnProblem) -> None:
    """Warn about ``message`` (the record is then skipped) or raise it as :class:`DataFormatError`."""
    if policy == "error":
        raise DataFormatError(message)
    warn_data(message + "; skipped")
