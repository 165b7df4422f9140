"""How stored weights are compressed: float32 (exact), float16, or 8-bit integers with a scale.

Integer modes store ``round(weight * scale)``; a weight reads back as ``stored / scale``, so each
weight is off by at most ``0.5 / scale``. ``int8`` keeps signed weights (scale ``127 / max|w|``),
``uint8`` only non-negative ones (scale ``255 / max w``), which gives SPLADE weights twice the
resolution. Weights that round to zero are dropped from the index (they score nothing).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import IndexFormatError, InputError
from ..validation import check_scale

_DTYPES = {"float32": np.float32, "float16": np.float16, "int8": np.int8, "uint8": np.uint8}
_INT_MAX = {"int8": 127, "uint8": 255}


@dataclass(frozen=True)
class Quantization:
    """A storage dtype name and, for integer dtypes, the scale stored values were multiplied by."""

    dtype: str = "float32"
    scale: float | None = None

    @property
    def numpy_dtype(self) -> np.dtype:
        """The numpy dtype of stored weights."""
        return np.dtype(_DTYPES[self.dtype])

    def to_dict(self) -> dict[str, object]:
        """The manifest form."""
        return {"dtype": self.dtype, "scale": self.scale}

    @classmethod
    def from_dict(cls, record: object, source: str = "the index manifest") -> Quantization:
        """Inverse of `to_dict`; a record of an unknown dtype or an invalid scale raises `IndexFormatError`.

        Integer dtypes need a positive finite scale, float dtypes none. ``source`` names the file in messages.
        """
        if not isinstance(record, dict) or not isinstance(record.get("dtype"), str) or record["dtype"] not in _DTYPES:
            dtype = record.get("dtype") if isinstance(record, dict) else record
            raise IndexFormatError(
                f"{source}: quantization dtype must be one of {', '.join(_DTYPES)}, got {dtype!r:.40}; "
                "rebuild the index"
            )
        dtype = str(record["dtype"])
        return cls(dtype, check_scale(dtype, record.get("scale"), dtype in _INT_MAX, source))


def parse_mode(mode: str | None) -> str:
    """Normalize a user's quantization choice (``None`` means float32) or raise `InputError`."""
    name = "float32" if mode is None else str(mode).lower()
    if name not in _DTYPES:
        raise InputError(f"unknown quantization {mode!r}; choose one of None, {', '.join(_DTYPES)}")
    return name


def quantize(weights: np.ndarray, mode: str | None) -> tuple[np.ndarray, Quantization]:
    """Convert float weights to the storage dtype of ``mode``; returns stored values and their recipe.

    Raises `InputError` when ``mode`` cannot represent the weights (negatives in ``uint8``, values
    beyond the float16 range).
    """
    lowest, highest = (float(weights.min()), float(weights.max())) if weights.size else (0.0, 0.0)
    recipe = recipe_for(mode, max(highest, -lowest), lowest)
    return store(weights, recipe), recipe


def recipe_for(mode: str | None, peak: float, lowest: float) -> Quantization:
    """The recipe `quantize` picks for weights whose largest magnitude is ``peak`` and smallest value ``lowest``.

    Raises `InputError` when ``mode`` cannot represent such weights.
    """
    name = parse_mode(mode)
    if name == "float16" and peak > float(np.finfo(np.float16).max):
        raise InputError("weights exceed the float16 range (65504); use quantization None or 'int8'")
    if name == "uint8" and lowest < 0:
        raise InputError("'uint8' quantization cannot store negative weights; use 'int8' or None")
    if name not in _INT_MAX:
        return Quantization(name)
    return Quantization(name, _INT_MAX[name] / peak if peak > 0 else 1.0)


def store(weights: np.ndarray, recipe: Quantization) -> np.ndarray:
    """Float ``weights`` as ``recipe`` stores them (the caller drops the ones that become zero)."""
    if recipe.scale is None:
        return weights.astype(recipe.numpy_dtype, copy=recipe.dtype != "float32")
    return np.rint(weights * np.float32(recipe.scale)).astype(recipe.numpy_dtype)


def restore(stored: np.ndarray, recipe: Quantization) -> np.ndarray:
    """Weights as ``recipe`` stored them, read back as float32 (``stored / scale`` for integer dtypes)."""
    values = np.asarray(stored, dtype=np.float32)
    return values / np.float32(recipe.scale) if recipe.scale else values
