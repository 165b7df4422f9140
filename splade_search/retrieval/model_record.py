"""Which model an index records, so that its queries are encoded by the model that encoded its documents.

An index records the model's reference (an alias, folder or hub id) and a fingerprint of its weights.
A model that cannot be loaded again from its reference — one with freshly initialised, untrained
modules (a dense folder loaded as CSR gets a new random autoencoder at every load), or one built in
memory — is kept inside the index instead (see `indexes.layout.MODEL_FOLDER`). Loading the recorded
model checks the fingerprint, so a model folder that changed since indexing is refused rather than
silently answering with other vectors.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..errors import IndexMismatchError, InputError
from ..indexes import SparseIndex

FINGERPRINT_KEY = "model_fingerprint"


def fingerprint(model: Any) -> str:
    """A digest of every weight and buffer of ``model`` (names, dtypes, shapes and values).

    A torch-free encoder (`fastpaths.inference_free`) lists its tensors itself (``state_items``).
    """
    items = model.state_items() if hasattr(model, "state_items") else _state_items(model)
    digest = hashlib.blake2b(digest_size=16)
    for name, dtype, shape, data in sorted(items, key=lambda item: item[0]):
        digest.update(f"{name}|{dtype}|{shape}\n".encode())
        digest.update(data)
    return digest.hexdigest()


def _state_items(model: Any) -> Any:
    """``(name, dtype, shape, bytes)`` of each tensor of a torch module's state dict."""
    import torch

    for name, tensor in model.state_dict().items():
        flat = tensor.detach().to("cpu").contiguous().reshape(-1)
        yield name, str(flat.dtype), tuple(tensor.shape), flat.view(torch.uint8).numpy()


def has_untrained_modules(model: Any) -> bool:
    """Whether ``model`` holds modules initialised at random when it was loaded (not reproducible)."""
    flag = getattr(model, "has_untrained_modules", None)
    if isinstance(flag, bool):
        return flag
    return any(getattr(module, "initialized_from_scratch", False) for module in model.modules())


def must_keep_model(model: Any, reference: str | None) -> bool:
    """Whether an index of ``model`` must keep a copy of it (its reference cannot reproduce it)."""
    return reference is None or has_untrained_modules(model)


def recorded_model(index: SparseIndex) -> str:
    """The model an index was built with: the folder it keeps, else its recorded alias, folder or hub id."""
    if index.model_folder is not None:
        return str(index.model_folder)
    reference = index.metadata.get("model") or index.metadata.get("model_path")
    if not reference or reference == "None":
        raise InputError(f"the index {index.path} records no model; pass one explicitly")
    return str(reference)


def check_recorded_model(index: SparseIndex, model: Any) -> None:
    """Raise `IndexMismatchError` if ``model`` is not the one whose fingerprint ``index`` records."""
    expected = index.metadata.get(FINGERPRINT_KEY)
    if expected and fingerprint(model) != expected:
        raise IndexMismatchError(
            f"the model {recorded_model(index)} has changed since the index {index.path} was built "
            "(its weights differ); rebuild the index, or pass the original model explicitly"
        )


def load_light_model(index: SparseIndex) -> Any | None:
    """The model ``index`` records as a light query encoder (`fastpaths.light_encoders`: no transformers
    import, or no torch at all), when one reproduces it: a local folder or embedded alias whose tensors
    match the fingerprint the index records and whose vocabulary is the index's. None otherwise.
    """
    from ..fastpaths.light_encoders import load_light_encoder
    from .vocabulary import model_vocabulary

    expected = index.metadata.get(FINGERPRINT_KEY)
    try:
        reference = recorded_model(index) if expected else None
    except InputError:
        return None
    model = load_light_encoder(reference) if reference is not None else None
    if model is None or fingerprint(model) != expected or model_vocabulary(model) != index.vocab:
        return None
    return model
