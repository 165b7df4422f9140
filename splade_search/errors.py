"""Exceptions raised by splade-search. Each names what went wrong and what to do about it."""

from __future__ import annotations


class SpladeSearchError(Exception):
    """Base class of every error this package raises on purpose."""


class ModelLoadError(SpladeSearchError):
    """A model path, hub id or model folder could not be turned into a model."""


class ModelFormatError(ModelLoadError):
    """A model folder exists but its files are missing, unknown or corrupted."""


class OfflineError(ModelLoadError):
    """A hub id was requested while the hub cannot be reached."""


class InputError(SpladeSearchError, ValueError):
    """Input data (texts, files, arguments) is malformed."""


class IndexFormatError(SpladeSearchError):
    """An index folder is missing, corrupted, truncated or of an unknown version."""


class IndexMismatchError(SpladeSearchError):
    """An index and a model (or two indexes) do not fit together, e.g. different vocabularies."""


class BackendUnavailableError(SpladeSearchError, ImportError):
    """An optional backend (an index engine, an encoder runtime) cannot run here: its packages are missing or fail."""


class DataFormatError(InputError):
    """A corpus, query, qrels or run file is malformed; the message names file and line."""


class TrainingError(SpladeSearchError):
    """Training cannot start or continue (bad configuration, NaN loss, ...)."""


class IndexLockedError(SpladeSearchError):
    """Another process is writing the index (one writer at a time); the message names its PID."""
