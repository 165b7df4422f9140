"""The ``openvino`` backend: the same ONNX export as the ``onnx`` backend, compiled by OpenVINO.

``model_kwargs``: ``file_name`` and ``export`` as for ``onnx`` (OpenVINO reads the ONNX file itself;
no separate IR is written), ``ov_config`` (a dict or a JSON file of OpenVINO properties). By default
it runs on ``CPU`` in float32 (``INFERENCE_PRECISION_HINT=f32``, otherwise a CPU with bfloat16 units
would run in bfloat16) with ``torch.get_num_threads()`` threads, to the tolerance stated in
``backends/onnx.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import InputError
from .export import read_stamp, require
from .runtime import ExportedBody


class OpenVinoBody(ExportedBody):
    """``module.body`` through an OpenVINO compiled model."""

    backend = "openvino"
    option_keys = ("file_name", "export", "ov_config")

    def open(self, path: Path) -> Any:
        import torch

        ov = require("openvino", extra="openvino")
        config: dict[str, Any] = {"INFERENCE_PRECISION_HINT": "f32", "INFERENCE_NUM_THREADS": torch.get_num_threads()}
        config.update(_ov_config(self.options.get("ov_config")))
        core = ov.Core()
        compiled = core.compile_model(core.read_model(str(path)), "CPU", config)
        return compiled, read_stamp(path) or {}

    def metadata(self, session: Any) -> dict[str, str]:
        return session[1]

    def infer(self, session: Any, inputs: dict[str, Any]) -> Any:
        compiled = session[0]
        feed = {port.get_any_name(): inputs[port.get_any_name()] for port in compiled.inputs}
        return compiled(feed)[0]


def _ov_config(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, (str, Path)) and Path(value).is_file():
        with open(value, encoding="utf-8") as f:
            loaded = json.load(f)
        if isinstance(loaded, dict):
            return loaded
    raise InputError(f"model_kwargs['ov_config'] must be a dict or a JSON file of one, got {value!r}")
