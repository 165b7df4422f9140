"""Fast query encoding for inference-free SPLADE: tokenizer -> token ids -> weight lookup, no torch modules.

When the query route is a lone :class:`SparseStaticEmbedding`, ``encode`` asks :func:`encode` first. It
gives exactly what the module chain gives (same indices, values, layout) or ``None``, and the plain path
runs. ``None`` is returned for anything it does not reproduce exactly: text pairs, extra forward kwargs,
a ``device`` argument or weights off the CPU, non-finite weights, token ids outside the weights, and a
``max_active_dims`` cut that ties at the boundary (torch.topk picks among ties).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import torch

from . import bag_of_words
from .wordpiece import PyWordPiece
from ..modules import Router, SparseStaticEmbedding


@dataclass
class _Cache:
    """Per-module state: a private, configured copy of the rust tokenizer and the weights as numpy."""

    tokenizer_key: tuple = ()
    backend: Any = None
    wordpiece: PyWordPiece | None = None
    weight_key: tuple = ()
    weight: np.ndarray | None = None


_CACHES: "weakref.WeakKeyDictionary[SparseStaticEmbedding, _Cache]" = weakref.WeakKeyDictionary()


def _cache(module: SparseStaticEmbedding) -> _Cache:
    cache = _CACHES.get(module)
    if cache is None:
        cache = _CACHES[module] = _Cache()
    return cache


def query_module(model: Any, task: str | None) -> SparseStaticEmbedding | None:
    """The SparseStaticEmbedding that alone makes up the model (or its route for ``task``), else None."""
    modules = list(model)
    if len(modules) != 1:
        return None
    first = modules[0]
    if type(first) is Router:
        try:
            chain = first.sub_modules[first.resolve_route(task)]
        except ValueError:
            return None
        if len(chain) != 1:
            return None
        first = chain[0]
    return first if type(first) is SparseStaticEmbedding else None


def _plain_backend(tokenizer: Any) -> bool:
    """True when ``tokenizer(...)`` is the stock transformers call onto a rust ``tokenizers.Tokenizer``."""
    try:
        from transformers.tokenization_utils_base import PreTrainedTokenizerBase
        from transformers.tokenization_utils_tokenizers import TokenizersBackend
    except ImportError:
        return False
    cls = type(tokenizer)
    return (
        isinstance(tokenizer, TokenizersBackend)
        and cls.__call__ is PreTrainedTokenizerBase.__call__
        and cls._encode_plus is TokenizersBackend._encode_plus
        and getattr(cls, "_switch_to_input_mode", None) is getattr(PreTrainedTokenizerBase, "_switch_to_input_mode", None)
    )


def _backend(module: SparseStaticEmbedding, cache: _Cache) -> Any:
    """A private rust tokenizer set up as ``module.tokenize`` sets the shared one (no padding), or None."""
    tok = module.tokenizer
    max_length = module.max_seq_length
    inner = getattr(tok, "_tokenizer", None)
    side, split = getattr(tok, "truncation_side", None), getattr(tok, "split_special_tokens", None)
    key = (id(tok), id(inner), len(tok), max_length, side, split)
    if key != cache.tokenizer_key:
        backend = wordpiece = None
        if isinstance(max_length, int) and max_length > 0 and inner is not None and _plain_backend(tok):
            from tokenizers import Tokenizer

            backend = Tokenizer.from_str(inner.to_str())
            backend.no_padding()
            backend.enable_truncation(max_length, stride=0, strategy="longest_first", direction=side)
            backend.encode_special_tokens = bool(split)
            wordpiece = PyWordPiece.from_backend(backend) if side in ("left", "right") else None
        cache.tokenizer_key, cache.backend, cache.wordpiece = key, backend, wordpiece
    return cache.backend


def clear_word_caches(module: SparseStaticEmbedding) -> None:
    """Empty the per-word and per-character caches of ``module``'s Python tokenizer (for cold timings)."""
    wordpiece = _cache(module).wordpiece
    if wordpiece is not None:
        wordpiece.words.clear()
        wordpiece.chars.clear()


def token_ids(module: SparseStaticEmbedding, texts: Sequence[str]) -> list[list[int]]:
    """Token ids of each text as ``module.tokenize`` finds them (stripped, no special tokens, truncated)."""
    texts = [t.strip() for t in texts]
    cache = _cache(module)
    backend = _backend(module, cache)
    if backend is None:
        out = module.tokenizer(texts, add_special_tokens=False, truncation=True, max_length=module.max_seq_length)
        return list(out["input_ids"])
    length, wordpiece = module.max_seq_length, cache.wordpiece
    found = [wordpiece.ids(t) for t in texts] if wordpiece is not None else [None] * len(texts)
    left = module.tokenizer.truncation_side == "left"
    ids = [(x[-length:] if left else x[:length]) if x is not None and len(x) > length else x for x in found]
    missing = [i for i, x in enumerate(ids) if x is None]
    if missing:
        encode = getattr(backend, "encode_batch_fast", backend.encode_batch)  # no offsets: same ids, faster
        for i, encoding in zip(missing, encode([texts[i] for i in missing], add_special_tokens=False)):
            ids[i] = encoding.ids
    return ids  # type: ignore[return-value]


def _weights(module: SparseStaticEmbedding) -> np.ndarray | None:
    """The weights as float32 numpy (a view where possible); None when some are not finite."""
    cache = _cache(module)
    w = module.weight
    key = (w.data_ptr(), w._version, w.dtype, tuple(w.shape), w.device)
    if key != cache.weight_key:
        array = w.detach().cpu().float().numpy()
        cache.weight_key, cache.weight = key, (array if np.isfinite(array).all() else None)
    return cache.weight


def term_weights(
    module: SparseStaticEmbedding, texts: Sequence[str], max_active_dims: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """``(rows, cols, values)`` of the non-zero entries, sorted by row then column; None: use the plain path."""
    weight = _weights(module)
    return None if weight is None else bag_of_words.term_weights(token_ids(module, texts), weight, max_active_dims)


def _output(
    rows: np.ndarray, cols: np.ndarray, values: np.ndarray, n: int, dim: int, single: bool, to_tensor: bool, to_sparse: bool
) -> Any:
    """The layout ``SparseEncoder.encode`` returns for these flags."""
    r, c, v = torch.from_numpy(rows), torch.from_numpy(cols), torch.from_numpy(np.ascontiguousarray(values, dtype=np.float32))
    if not to_sparse:
        dense = torch.zeros(n, dim, dtype=torch.float32)
        dense[r, c] = v
        return dense[0] if single else (dense if to_tensor else list(dense.unbind(0)))
    if single:
        return torch.sparse_coo_tensor(c.unsqueeze(0), v, (dim,), is_coalesced=True, check_invariants=False)
    if to_tensor:
        return torch.sparse_coo_tensor(torch.stack([r, c]), v, (n, dim), is_coalesced=True, check_invariants=False)
    counts = np.bincount(rows, minlength=n).tolist()
    return [
        torch.sparse_coo_tensor(ci.unsqueeze(0), vi, (dim,), is_coalesced=True, check_invariants=False)
        for ci, vi in zip(c.split(counts), v.split(counts))
    ]


def encode(
    model: Any,
    texts: list[Any],
    *,
    single: bool,
    task: str | None,
    forward_kwargs: dict[str, Any],
    convert_to_tensor: bool,
    convert_to_sparse_tensor: bool,
    device: str | None,
) -> Any:
    """What ``model.encode`` would return for these (prompted) texts, or None when the plain path must run."""
    if device is not None or set(forward_kwargs) - {"max_active_dims"} or not all(isinstance(t, str) for t in texts):
        return None
    module = query_module(model, task)
    if module is None or module.weight.device.type != "cpu":
        return None
    found = term_weights(module, texts, forward_kwargs.get("max_active_dims"))
    if found is None:
        return None
    if model.training:
        model.eval()
    return _output(*found, len(texts), module.vocab_size, single, convert_to_tensor, convert_to_sparse_tensor)
