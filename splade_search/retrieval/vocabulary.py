"""The term names of a model's output dimensions, as an index stores them."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import IndexMismatchError


def model_vocabulary(model: Any) -> list[str]:
    """Token strings for vocabulary-sized (SPLADE) models; ``latent_<i>`` names for CSR latents."""
    dim = model.get_sentence_embedding_dimension()
    if _has_latents(model):
        return [f"latent_{i}" for i in range(dim)]
    tokens = model.tokenizer.convert_ids_to_tokens(list(range(dim)))
    return [tok if tok is not None else f"[unused_id_{i}]" for i, tok in enumerate(tokens)]


def _has_latents(model: Any) -> bool:
    """Whether the model's dimensions are CSR latents (a torch-free encoder, without ``modules``, never has them)."""
    if not hasattr(model, "modules"):
        return False
    from ..modules import SparseAutoEncoder

    return any(isinstance(m, SparseAutoEncoder) for m in model.modules())


def check_same_vocabulary(index_vocab: list[str], model_vocab: list[str], index_path: str, model_name: str) -> None:
    """Refuse an index whose vocabulary differs from the model's."""
    if index_vocab == model_vocab:
        return
    if len(index_vocab) != len(model_vocab):
        detail = f"{len(index_vocab)} terms in the index, {len(model_vocab)} in the model"
    else:
        first = next(i for i, (a, b) in enumerate(zip(index_vocab, model_vocab)) if a != b)
        detail = f"term {first} is {index_vocab[first]!r} in the index but {model_vocab[first]!r} in the model"
    raise IndexMismatchError(
        f"the index {index_path} was built with another vocabulary than model {model_name} ({detail}); "
        "query it with the model it was built with"
    )


def score_space(model: Any) -> str:
    """How vectors must be prepared so that an index's dot product equals the model's similarity."""
    name = model.similarity_fn_name
    if name == "dot":
        return "dot"
    if name == "cosine":
        return "cosine"
    raise IndexMismatchError(
        f"indexes rank by dot product; a model with similarity {name!r} cannot be searched through an index "
        "(set model.similarity_fn_name to 'dot' or 'cosine')"
    )


def prepare_rows(rows: sp.csr_matrix, space: str) -> sp.csr_matrix:
    """L2-normalise rows for cosine models (dot product of unit vectors = cosine); unchanged otherwise."""
    if space != "cosine":
        return rows
    norms = np.sqrt(np.asarray(rows.multiply(rows).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ rows, dtype=np.float32)
