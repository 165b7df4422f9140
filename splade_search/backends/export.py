"""Export a module's transformer body to ONNX once, cached and matched to the weights it came from.

The exported graph is ``module.body``: the transformer (plus, for a split MLM head, the head transform)
from the tokenizer's inputs to one [batch, length, width] tensor; pooling, the vocabulary projection
and any autoencoder stay in torch. Each file carries, in its ONNX metadata, a fingerprint of the weights,
the architecture config and the exported signature, and its variant (``float32`` or ``qint8``/``quint8``
dynamic quantization); a file whose fingerprint does not match the module is never loaded: one of ours
is re-exported, a foreign one (no fingerprint) is left alone and the export goes to the user cache.

Files live beside the model in ``<module folder>/onnx/<file_name>`` when that folder is a writable local
folder, else (embedded or hub-cache models, read-only folders) in
``$XDG_CACHE_HOME/splade-search/onnx/<fingerprint>/``. Every write is a temporary file then a rename.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import site
import sysconfig
import tempfile
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..errors import BackendUnavailableError, InputError
from ..files import apply_umask, fsync_file

logger = logging.getLogger(__name__)

FORMAT = "splade-search-onnx-1"
DEFAULT_FILE = "model.onnx"
OPSET = 17
FINGERPRINT_KEY = "splade_search.fingerprint"
VARIANT_KEY = "splade_search.variant"
QUANTIZED_FILE = re.compile(r"^model_(q|qu)int8(_[A-Za-z0-9_]+)?\.onnx$")


def require(package: str, extra: str = "onnx") -> Any:
    """Import ``package`` or raise BackendUnavailableError naming the extra that installs it."""
    import importlib

    try:
        return importlib.import_module(package)
    except ImportError as exc:
        raise BackendUnavailableError(
            f"this backend needs the {package!r} package: pip install 'splade-search[{extra}]'"
        ) from exc


def checked_file_name(value: Any) -> str:
    """The ``file_name`` option as a bare ``*.onnx`` name (an ``onnx/`` prefix is accepted, as in sentence-transformers)."""
    name = DEFAULT_FILE if value is None else value
    if not isinstance(name, str):
        raise InputError(f"model_kwargs['file_name'] must be a string such as 'model.onnx', got {name!r}")
    name = name.removeprefix("onnx/")
    if not name.endswith(".onnx") or "/" in name or "\\" in name or name.startswith("."):
        raise InputError(
            f"model_kwargs['file_name'] must name an .onnx file in the model's onnx/ folder, got {value!r} "
            "(e.g. 'model.onnx' or 'model_qint8_avx512.onnx')"
        )
    return name


def variant_of(file_name: str) -> str:
    """``float32`` for a plain export, ``qint8``/``quint8`` for ``model_qint8_*.onnx``/``model_quint8_*.onnx``."""
    match = QUANTIZED_FILE.match(file_name)
    if match is None:
        return "float32"
    return "qint8" if match.group(1) == "q" else "quint8"


def fingerprint(module: Any) -> str:
    """A hash of what the export computes: format, signature, architecture config and every weight."""
    model = module.auto_model
    config = {k: v for k, v in model.config.to_dict().items() if not k.startswith("_") and k != "transformers_version"}
    digest = hashlib.sha256()
    header = {"format": FORMAT, "signature": signature(module), "class": type(model).__name__, "config": config}
    digest.update(json.dumps(header, sort_keys=True, default=str).encode())
    for name, tensor in sorted(model.state_dict().items()):
        flat = tensor.detach().to("cpu").contiguous().reshape(-1)
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}\n".encode())
        digest.update(memoryview(flat.view(torch.uint8).numpy()))
    return digest.hexdigest()


def signature(module: Any) -> str:
    """What ``module.body`` returns, e.g. ``MLMTransformer:split-head`` or ``MLMTransformer:logits``."""
    head = getattr(module, "head", "n/a")
    kind = "n/a" if head == "n/a" else ("logits" if head is None else "split-head")
    return f"{type(module).__name__}:{kind}:{','.join(input_names(module))}"


def input_names(module: Any) -> list[str]:
    """The model inputs the module's tokenizer produces (``token_type_ids`` only where it has them)."""
    return list(module.model_inputs(module.tokenize(["splade", "sparse retrieval"])))


def weights_version(module: Any) -> tuple[Any, ...]:
    """Changes whenever a weight is replaced or modified in place (training, ``load_state_dict``, ``.to``)."""
    return tuple((t.data_ptr(), t._version, t.dtype) for t in module.auto_model.state_dict().values())


def export_folders(module: Any, digest: str) -> list[Path]:
    """Where exports may live, preferred first: beside the model (when usable), then the user cache."""
    folders = []
    source = Path(str(getattr(module.auto_model, "name_or_path", "") or ""))
    if str(source) and source.is_dir() and _writable_local(source):
        folders.append(source / "onnx")
    folders.append(user_cache() / "onnx" / digest[:32])
    return folders


def user_cache() -> Path:
    """``$XDG_CACHE_HOME/splade-search`` (``~/.cache/splade-search`` by default)."""
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "splade-search"


def _writable_local(folder: Path) -> bool:
    """A folder the user owns the contents of: writable, not inside an installed package or the hub cache."""
    from huggingface_hub import constants

    resolved = folder.resolve()
    managed = [sysconfig.get_paths()[k] for k in ("purelib", "platlib")] + list(site.getsitepackages())
    managed.append(constants.HF_HUB_CACHE)
    if any(resolved.is_relative_to(Path(p).resolve()) for p in managed if p):
        return False
    return os.access(resolved, os.W_OK)


def read_stamp(path: Path) -> dict[str, str] | None:
    """The splade-search metadata of an ONNX file, or None when the file has none (foreign) or is unreadable."""
    onnx = require("onnx")
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception:  # a truncated or foreign file is simply not ours
        return None
    stamp = {p.key: p.value for p in model.metadata_props}
    return stamp if FINGERPRINT_KEY in stamp else None


def prepared_file(module: Any, file_name: str, digest: str, force: bool = False) -> Path:
    """The path of an ONNX file for ``module`` with fingerprint ``digest``: found, or exported now."""
    variant = variant_of(file_name)
    if variant == "float32" and file_name != DEFAULT_FILE and not force:
        return _existing(module, file_name, digest, variant, required=True)
    if not force:
        found = _existing(module, file_name, digest, variant, required=False)
        if found is not None:
            return found
    if variant == "float32":
        return _write_where_allowed(module, file_name, digest, lambda tmp: _export(module, tmp, digest))
    base = prepared_file(module, DEFAULT_FILE, digest, force=False)
    return _write_where_allowed(module, file_name, digest, lambda tmp: _quantize(base, tmp, digest, variant))


def _existing(module: Any, file_name: str, digest: str, variant: str, required: bool) -> Path | None:
    for folder in export_folders(module, digest):
        path = folder / file_name
        if not path.is_file():
            continue
        stamp = read_stamp(path)
        if stamp and stamp.get(FINGERPRINT_KEY) == digest and stamp.get(VARIANT_KEY) == variant:
            return path
        if required:
            raise InputError(
                f"{path} was not exported by splade-search from these weights (its fingerprint "
                f"{'is missing' if not stamp else 'differs'}), so it is not loaded; pass model_kwargs="
                "{'file_name': 'model.onnx'} (exported on first use) or a model_qint8_*.onnx name"
            )
    if required:
        raise InputError(
            f"no ONNX file {file_name!r} for {module.auto_model.name_or_path}; pass file_name='model.onnx' "
            "(exported on first use) or a 'model_qint8_<suffix>.onnx' name (quantized on first use)"
        )
    return None


def _write_where_allowed(module: Any, file_name: str, digest: str, write: Any) -> Path:
    """Write with ``write(tmp_path)`` into the first folder where ``file_name`` is ours to replace."""
    last_error: OSError | None = None
    for folder in export_folders(module, digest):
        path = folder / file_name
        if path.exists() and read_stamp(path) is None:
            logger.warning("%s is not a splade-search export; leaving it alone and exporting elsewhere", path)
            continue
        try:
            folder.mkdir(parents=True, exist_ok=True)
            atomic_write(path, write)
            return path
        except OSError as exc:
            last_error = exc
            logger.info("cannot write %s (%s); trying the next export folder", path, exc)
    raise BackendUnavailableError(f"cannot write the ONNX export {file_name!r} anywhere: {last_error}")


def atomic_write(path: Path, write: Any) -> None:
    """``write(tmp)`` into a temporary file beside ``path``, flush it to disk, then rename it over ``path``."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        fsync_file(Path(tmp))
        apply_umask(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


class _Body(nn.Module):
    """``module.body`` with positional tensor inputs, as ``torch.onnx.export`` wants."""

    def __init__(self, module: Any, names: list[str]) -> None:
        super().__init__()
        self.module = module
        self.names = names

    def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
        return self.module.body(**dict(zip(self.names, tensors)))


def _export(module: Any, path: Path, digest: str) -> None:
    """``torch.onnx.export`` of ``module.body`` (dynamic batch and length) to ``path``, stamped with ``digest``."""
    require("onnx")
    if any(p.dtype != torch.float32 for p in module.auto_model.parameters()):
        raise InputError("the onnx backend exports float32 weights; load the model without a torch_dtype in model_kwargs")
    names = input_names(module)
    sample = module.model_inputs(module.tokenize(["splade sparse retrieval of documents", "splade"]))
    device = next(module.auto_model.parameters()).device
    args = tuple(sample[n].to(device) for n in names)  # two lengths: the mask has padding, so no branch skips it
    logger.warning("exporting %s to ONNX (once; cached in %s)", module.auto_model.name_or_path, path.parent)
    was_training = module.training
    wrapper = _Body(module, names).eval()
    axes = {name: {0: "batch", 1: "length"} for name in [*names, "output"]}
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                wrapper, args, str(path), input_names=names, output_names=["output"], dynamic_axes=axes,
                opset_version=OPSET, dynamo=False,
            )
    finally:
        module.train(was_training)  # export restores the wrapper's mode onto every submodule
    stamp(path, digest, "float32")


def _quantize(base: Path, path: Path, digest: str, variant: str) -> None:
    """Dynamic int8 quantization of the float32 export's matrix products (weights int8, activations at run time)."""
    require("onnxruntime")
    from onnxruntime.quantization import QuantType, quantize_dynamic

    weight_type = QuantType.QInt8 if variant == "qint8" else QuantType.QUInt8
    logger.warning("quantizing %s to %s (once; cached beside it)", base, variant)
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)  # quantize_dynamic logs every skipped tensor on the root logger
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            quantize_dynamic(str(base), str(path), weight_type=weight_type, per_channel=True, op_types_to_quantize=["MatMul"])
    finally:
        logging.disable(previous)
    stamp(path, digest, variant)


def stamp(path: Path, digest: str, variant: str) -> None:
    """Write the fingerprint and variant into the ONNX file's metadata."""
    onnx = require("onnx")
    model = onnx.load(str(path))
    del model.metadata_props[:]
    for key, value in ((FINGERPRINT_KEY, digest), (VARIANT_KEY, variant), ("splade_search.format", FORMAT)):
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(model, str(path))
