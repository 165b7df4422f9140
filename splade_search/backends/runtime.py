"""The shared part of the exported-body backends: prepare the file, notice weight changes, open lazily."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ..errors import InputError, ModelFormatError
from .export import FINGERPRINT_KEY, checked_file_name, fingerprint, prepared_file, weights_version


class ExportedBody:
    """Runs ``module.body`` from an exported file instead of torch; subclasses open and run the file.

    The file is found or exported when the backend is attached; the runtime session opens on first use
    (also after unpickling, so a pool worker opens its own). If the module's weights change afterwards
    (training, ``load_state_dict``), the next call re-fingerprints them and re-exports when they differ.
    """

    backend = ""
    option_keys: tuple[str, ...] = ("file_name", "export")

    def __init__(self, module: Any, options: dict[str, Any]) -> None:
        unknown = sorted(set(options) - set(self.option_keys))
        if unknown:
            raise InputError(f"backend {self.backend!r} takes model_kwargs {list(self.option_keys)}, not {unknown}")
        self.file_name = checked_file_name(options.get("file_name"))
        self.options = {k: v for k, v in options.items() if k not in ("file_name", "export")}
        self._session: Any = None
        self._prepare(module, force=bool(options.get("export", False)))

    def _prepare(self, module: Any, force: bool = False) -> None:
        self.digest = fingerprint(module)
        self.path: Path = prepared_file(module, self.file_name, self.digest, force=force)
        self.version = weights_version(module)
        self._session = None

    def run(self, module: Any, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        """``module.body(**inputs)``, computed by the exported file, on the inputs' device."""
        version = weights_version(module)
        if version != self.version:
            if fingerprint(module) != self.digest:
                self._prepare(module)
            self.version = version
        if self._session is None:
            self._session = self.open(self.path)
            stamp = self.metadata(self._session)
            if stamp.get(FINGERPRINT_KEY) != self.digest:
                self._session = None
                raise ModelFormatError(f"{self.path} changed while it was being opened; encode again to re-export it")
        device = next(iter(inputs.values())).device
        output = self.infer(self._session, {k: v.cpu().numpy() for k, v in inputs.items()})
        return torch.from_numpy(output).to(device)

    def open(self, path: Path) -> Any:
        """A runtime session for the file."""
        raise NotImplementedError

    def metadata(self, session: Any) -> dict[str, str]:
        """The ONNX metadata the session was opened with."""
        raise NotImplementedError

    def infer(self, session: Any, inputs: dict[str, Any]) -> Any:
        """The numpy output for numpy inputs (only the inputs the graph takes are used)."""
        raise NotImplementedError

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_session"] = None  # sessions do not pickle; each process opens its own
        return state

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.path})"
