"""The ``onnx`` backend: the transformer body runs in ONNX Runtime.

``SparseEncoder(name, backend="onnx", model_kwargs={...})`` with the sentence-transformers keys
``file_name`` (``model.onnx``, exported on first use; ``model_qint8_<cpu>.onnx``/``model_quint8_<cpu>.onnx``,
dynamically quantized from it on first use), ``export`` (re-export even if a matching file exists),
``provider`` (default: the first ONNX Runtime lists, e.g. ``CUDAExecutionProvider`` before
``CPUExecutionProvider``), ``provider_options`` and ``session_options`` (an ``onnxruntime.SessionOptions``;
by default the session uses ``torch.get_num_threads()`` threads).

Accuracy (float32 ``model.onnx``): the body's output matches torch to about 1e-5 absolute, so the
sparse vectors keep the same active terms and top terms, with weights within 1e-4 of torch
(``tests/backends`` checks top-10 terms identical and max abs weight difference <= 1e-4 for SPLADE,
inference-free and CSR models). int8 files are approximate: see ``eval/RESULTS.md`` for their quality.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .export import require
from .runtime import ExportedBody


class OnnxRuntimeBody(ExportedBody):
    """``module.body`` through an ``onnxruntime.InferenceSession``."""

    backend = "onnx"
    option_keys = ("file_name", "export", "provider", "provider_options", "session_options")

    def open(self, path: Path) -> Any:
        import torch

        ort = require("onnxruntime")
        options = self.options.get("session_options")
        if options is None:
            options = ort.SessionOptions()
            options.intra_op_num_threads = torch.get_num_threads()
            options.log_severity_level = 3  # errors only: no provider chatter on the CLI
        provider = self.options.get("provider") or ort.get_available_providers()[0]
        provider_options = self.options.get("provider_options")
        return ort.InferenceSession(
            str(path), options, providers=[provider], provider_options=[provider_options] if provider_options else None
        )

    def metadata(self, session: Any) -> dict[str, str]:
        return dict(session.get_modelmeta().custom_metadata_map)

    def infer(self, session: Any, inputs: dict[str, Any]) -> Any:
        feed = {i.name: inputs[i.name] for i in session.get_inputs()}
        return session.run(None, feed)[0]
