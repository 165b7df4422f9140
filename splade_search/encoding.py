"""Input checks, prompt resolution and result assembly for ``SparseEncoder.encode``."""

from __future__ import annotations

from typing import Any, Sequence

import torch

from .errors import InputError

DOCUMENT_PROMPT_NAMES = ("document", "passage", "corpus")


def as_text_batch(inputs: Any) -> tuple[list[Any], bool]:
    """``(texts, was_single)``; a lone string (or text pair) is a batch of one. Non-text items are refused."""
    if isinstance(inputs, str):
        return [inputs], True
    if isinstance(inputs, tuple) and len(inputs) == 2 and all(isinstance(x, str) for x in inputs):
        return [inputs], True
    if hasattr(inputs, "tolist") and not isinstance(inputs, (list, tuple)):
        inputs = inputs.tolist()
    if not isinstance(inputs, Sequence) and not hasattr(inputs, "__iter__"):
        raise InputError(f"encode expects a string or a list of strings, got {type(inputs).__name__}")
    texts = list(inputs)
    for i, text in enumerate(texts):
        if isinstance(text, str):
            continue
        if isinstance(text, (tuple, list)) and text and all(isinstance(x, str) for x in text):
            continue
        raise InputError(f"encode expects strings; item {i} is {type(text).__name__}: {text!r:.80}")
    return texts, False


def resolve_prompt(
    prompts: dict[str, str],
    prompt: str | None,
    prompt_name: str | None,
    default_prompt_name: str | None,
) -> str | None:
    """The prompt to prepend: explicit ``prompt``, else ``prompts[prompt_name]``, else the default."""
    if prompt is not None:
        return prompt
    if prompt_name is not None:
        if prompt_name not in prompts:
            raise InputError(
                f"Prompt name '{prompt_name}' not found in the configured prompts dictionary with keys {list(prompts.keys())!r}."
            )
        return prompts[prompt_name]
    if default_prompt_name is not None:
        return prompts.get(default_prompt_name)
    return None


def document_prompt_name(prompts: dict[str, str]) -> str | None:
    """The first of ``document``, ``passage``, ``corpus`` that has a prompt."""
    return next((name for name in DOCUMENT_PROMPT_NAMES if name in prompts), None)


def length_order(texts: list[Any]) -> list[int]:
    """Indices sorting texts longest first (stable), so batches need little padding."""
    def size(text: Any) -> int:
        return len(text) if isinstance(text, str) else sum(len(t) for t in text)

    return sorted(range(len(texts)), key=lambda i: -size(texts[i]))


def empty_result(convert_to_tensor: bool, convert_to_sparse_tensor: bool, save_to_cpu: bool) -> Any:
    """What ``encode([])`` returns."""
    if not convert_to_tensor:
        return []
    result = torch.tensor([])
    return result.to_sparse() if convert_to_sparse_tensor else result


def assemble(
    batches: list[torch.Tensor],
    order: list[int],
    convert_to_tensor: bool,
    convert_to_sparse_tensor: bool,
) -> torch.Tensor | list[torch.Tensor]:
    """Put per-batch results (in length order) back into input order."""
    positions = torch.tensor(order, dtype=torch.long)
    if not convert_to_tensor:
        rows = [row for batch in batches for row in (batch.unbind(0) if not batch.is_sparse else sparse_rows(batch))]
        out: list[torch.Tensor] = [None] * len(order)  # type: ignore[list-item]
        for position, row in zip(order, rows):
            out[position] = row
        return out
    if not convert_to_sparse_tensor:
        inverse = torch.empty_like(positions)
        inverse[positions] = torch.arange(len(order))
        return torch.cat(batches, dim=0)[inverse.to(batches[0].device)]
    indices, values, offset = [], [], 0
    for batch in batches:
        batch = batch.coalesce()
        idx = batch.indices().clone()
        idx[0] = positions[idx[0].cpu() + offset].to(idx.device)
        indices.append(idx)
        values.append(batch.values())
        offset += batch.shape[0]
    shape = (len(order), batches[0].shape[1])
    return torch.sparse_coo_tensor(torch.cat(indices, dim=1), torch.cat(values), shape, check_invariants=False).coalesce()


def first_row(result: torch.Tensor | list[torch.Tensor]) -> torch.Tensor:
    """The only row of a one-text result, as a 1-D tensor (sparse when the result is)."""
    if isinstance(result, list) or not result.is_sparse:
        return result[0]
    return sparse_rows(result)[0]


def sparse_rows(batch: torch.Tensor) -> list[torch.Tensor]:
    """The rows of a 2-D sparse COO tensor, each as a 1-D sparse COO tensor."""
    batch = batch.coalesce()
    rows, cols = batch.indices()
    values = batch.values()
    if values.is_inference() and not torch.is_inference_mode_enabled():
        cols, values = cols.clone(), values.clone()  # rows of inference tensors would refuse .values()
    counts = torch.bincount(rows, minlength=batch.shape[0]).tolist()
    return [
        torch.sparse_coo_tensor(c.unsqueeze(0), v, (batch.shape[1],), check_invariants=False).coalesce()
        for c, v in zip(cols.split(counts), values.split(counts))
    ]
