"""Inference backends of a SparseEncoder's transformer modules: ``torch`` (default), ``onnx``, ``openvino``.

A non-torch backend replaces only the transformer body of each Hugging Face module (``module.runtime``);
tokenization, SPLADE pooling (with its fused vocabulary projection), routing, the static query
embedding of inference-free models and CSR pooling/autoencoders stay in torch. Training always runs torch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import InputError

BACKENDS = ("torch", "onnx", "openvino")
QUANTIZATION_CONFIGS = {"arm64": "qint8", "avx2": "quint8", "avx512": "qint8", "avx512_vnni": "qint8"}


def check_backend(name: Any) -> str:
    """``name`` when it is a known backend, else InputError."""
    if name not in BACKENDS:
        raise InputError(f"backend must be one of {', '.join(BACKENDS)}, got {name!r}")
    return name


def split_model_kwargs(backend: str, model_kwargs: dict[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(transformers kwargs, backend options)``: the backend's keys (``file_name``, ``provider``, ...) come out."""
    kwargs = dict(model_kwargs or {})
    keys = _runtime_class(backend).option_keys if backend != "torch" else ()
    return {k: v for k, v in kwargs.items() if k not in keys}, {k: v for k, v in kwargs.items() if k in keys}


def attach(encoder: Any, backend: str, options: dict[str, Any] | None = None) -> int:
    """Run every transformer module of ``encoder`` on ``backend``; returns how many modules it covers."""
    from ..modules.hf_text import HFTextModule

    check_backend(backend)
    modules = [m for m in encoder.modules() if isinstance(m, HFTextModule)]
    for module in modules:
        module.runtime = None if backend == "torch" else _runtime_class(backend)(module, dict(options or {}))
    return len(modules)


def export_dynamic_quantized_onnx_model(model: Any, quantization_config: str = "avx512_vnni") -> list[Path]:
    """Write ``model_<qint8|quint8>_<quantization_config>.onnx`` for each transformer module of ``model``.

    Dynamic int8 quantization of the matrix products (ONNX Runtime ``quantize_dynamic``, per-channel
    weights), as sentence-transformers' helper of the same name names its files. Load the result with
    ``SparseEncoder(..., backend="onnx", model_kwargs={"file_name": <name>})`` (which would also
    quantize on first use). Returns the written (or already matching) files.
    """
    from ..modules.hf_text import HFTextModule
    from .export import fingerprint, prepared_file

    if quantization_config not in QUANTIZATION_CONFIGS:
        raise InputError(f"quantization_config must be one of {', '.join(QUANTIZATION_CONFIGS)}, got {quantization_config!r}")
    name = f"model_{QUANTIZATION_CONFIGS[quantization_config]}_{quantization_config}.onnx"
    modules = [m for m in model.modules() if isinstance(m, HFTextModule)]
    return [prepared_file(m, name, fingerprint(m)) for m in modules]


def _runtime_class(backend: str) -> Any:
    check_backend(backend)
    if backend == "onnx":
        from .onnx import OnnxRuntimeBody

        return OnnxRuntimeBody
    from .openvino import OpenVinoBody

    return OpenVinoBody
