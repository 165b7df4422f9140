"""Optimizer parameter groups: weight decay split plus per-pattern learning rates.

``learning_rate_mapping`` patterns are searched (``re.search``) in each parameter's name, e.g.
``model.0.sub_modules.query.0.weight``, and in an alias with the class of every module on the path
inserted, e.g. ``model.SparseEncoder.0.Router.sub_modules.query.0.SparseStaticEmbedding.weight``,
so class-qualified patterns such as ``SparseStaticEmbedding\\.weight`` or ``MLMTransformer`` work.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from torch import nn

from ..errors import InputError, TrainingError

CONTAINERS = (nn.Sequential, nn.ModuleDict, nn.ModuleList)


def class_qualified_names(root: nn.Module) -> dict[str, str]:
    """Parameter name -> the same name with module class names inserted after each module."""
    modules = dict(root.named_modules())
    aliases = {}
    for name, _ in root.named_parameters():
        parts = name.split(".")
        pieces = []
        for depth, part in enumerate(parts[:-1]):
            pieces.append(part)
            module = modules.get(".".join(parts[: depth + 1]))
            if module is not None and type(module) not in CONTAINERS:
                pieces.append(type(module).__name__)
        aliases[name] = ".".join([*pieces, parts[-1]])
    return aliases


def parameter_groups(
    root: nn.Module, weight_decay: float, decay_names: Iterable[str], learning_rate_mapping: dict[str, float]
) -> list[dict[str, Any]]:
    """Groups for ``torch.optim`` over the trainable parameters of ``root`` (the loss module, so
    trainable loss weights are included). Parameters matched by a pattern get that learning rate;
    the first matching pattern wins. A pattern matching no trainable parameter is an InputError."""
    decay = set(decay_names)
    aliases = class_qualified_names(root)
    named = [(name, p) for name, p in root.named_parameters() if p.requires_grad]
    if not named:
        raise TrainingError("the model has no trainable parameters: unfreeze at least one module")
    claimed: dict[str, float] = {}
    for pattern, rate in learning_rate_mapping.items():
        try:
            regex = re.compile(pattern)
        except re.error as exc:
            raise InputError(
                f"learning_rate_mapping pattern {pattern!r} is not a valid regular expression: {exc}"
            ) from None
        matches = [n for n, _ in root.named_parameters() if regex.search(n) or regex.search(aliases[n])]
        trainable = [n for n, _ in named if n in matches]
        if not trainable:
            examples = ", ".join(aliases[n] for n, _ in named[:3])
            state = "only frozen parameters" if matches else "no parameter"
            raise InputError(
                f"learning_rate_mapping pattern {pattern!r} matches {state}. Patterns are searched in names "
                f"such as {examples}"
            )
        for n in trainable:
            claimed.setdefault(n, rate)
    groups: dict[tuple[float | None, bool], list[nn.Parameter]] = {}
    for name, param in named:
        groups.setdefault((claimed.get(name), name in decay), []).append(param)
    result = []
    # groups at the base learning rate first: transformers logs the learning rate of group 0
    for (rate, decayed), params in sorted(groups.items(), key=lambda item: item[0][0] is not None):
        group: dict[str, Any] = {"params": params, "weight_decay": weight_decay if decayed else 0.0}
        if rate is not None:
            group["lr"] = rate
        result.append(group)
    return result
