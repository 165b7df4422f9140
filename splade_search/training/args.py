"""SparseEncoderTrainingArguments: transformers TrainingArguments plus the sparse-encoder settings."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Union

from transformers import TrainingArguments
from transformers.training_args import ParallelMode

from ..errors import InputError

logger = logging.getLogger(__name__)


class BatchSamplers(str, Enum):
    """How rows of one dataset are grouped into batches."""

    BATCH_SAMPLER = "batch_sampler"
    NO_DUPLICATES = "no_duplicates"
    GROUP_BY_LABEL = "group_by_label"


class MultiDatasetBatchSamplers(str, Enum):
    """How batches of several datasets are interleaved (each batch holds rows of one dataset)."""

    ROUND_ROBIN = "round_robin"
    PROPORTIONAL = "proportional"


def _parse_enum(value: Any, enum: type[Enum], name: str) -> Any:
    if not isinstance(value, str) or isinstance(value, Enum):
        return value
    try:
        return enum(value.lower())
    except ValueError:
        options = ", ".join(member.value for member in enum)
        raise InputError(f"{name} must be one of {options} (or a sampler class), got {value!r}") from None


def _parse_mapping(value: Any, name: str, example: str) -> dict[str, Any]:
    """Accept a dict, None, or a JSON string of a dict (as a command line passes it)."""
    if value is None:
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{name} must be a dict or its JSON text, e.g. {example}; got {value!r} ({exc.msg})"
            ) from None
    if not isinstance(value, dict):
        raise InputError(f"{name} must be a dict, e.g. {example}; got {type(value).__name__}")
    return value


def _parse_prompts(value: Any) -> str | dict[str, Any] | None:
    """A prompt string, or one of the three dict forms (JSON text accepted)."""
    if isinstance(value, str) and value.lstrip().startswith("{"):
        value = _parse_mapping(value, "prompts", '{"query": "query: "}')
    if value is None or isinstance(value, str):
        return value
    if not isinstance(value, dict):
        raise InputError(f"prompts must be a string or a dict, got {type(value).__name__}")
    for key, prompt in value.items():
        inner = prompt.values() if isinstance(prompt, dict) else [prompt]
        if not all(isinstance(p, str) for p in inner):
            raise InputError(
                f"prompts[{key!r}] must be a string or a {{column: prompt}} dict of strings, got {prompt!r}"
            )
    return value


@dataclass
class SparseEncoderTrainingArguments(TrainingArguments):
    """TrainingArguments for SparseEncoderTrainer. Besides every transformers argument:

    - ``prompts``: a string for every column, ``{column: prompt}``, ``{dataset: prompt}`` or
      ``{dataset: {column: prompt}}``; prepended to the texts.
    - ``batch_sampler``: BatchSamplers (BATCH_SAMPLER, NO_DUPLICATES, GROUP_BY_LABEL) or a sampler class.
    - ``multi_dataset_batch_sampler``: ROUND_ROBIN or PROPORTIONAL, for dict / DatasetDict training data.
    - ``router_mapping``: ``{column: route}`` or ``{dataset: {column: route}}``; required when the
      model has a Router (e.g. ``{"query": "query", "positive": "document"}``).
    - ``learning_rate_mapping``: ``{regex: lr}`` over parameter names; a pattern may also name module
      classes, e.g. ``SparseStaticEmbedding\\.weight``.
    The dict arguments also accept their JSON text, as a command line passes them.
    """

    prompts: Union[str, None, dict[str, str], dict[str, dict[str, str]]] = field(  # noqa: UP007
        default=None,
        metadata={"help": "Prompt string, or {column: prompt}, {dataset: prompt}, {dataset: {column: prompt}}."},
    )
    batch_sampler: Union[BatchSamplers, str, Callable[..., Any]] = field(  # noqa: UP007
        default=BatchSamplers.BATCH_SAMPLER, metadata={"help": "batch_sampler, no_duplicates or group_by_label."}
    )
    multi_dataset_batch_sampler: Union[MultiDatasetBatchSamplers, str, Callable[..., Any]] = field(  # noqa: UP007
        default=MultiDatasetBatchSamplers.PROPORTIONAL, metadata={"help": "round_robin or proportional."}
    )
    router_mapping: Union[str, None, dict[str, str], dict[str, dict[str, str]]] = field(  # noqa: UP007
        default_factory=dict, metadata={"help": "{column: route} or {dataset: {column: route}} for Router models."}
    )
    learning_rate_mapping: Union[str, None, dict[str, float]] = field(  # noqa: UP007
        default_factory=dict, metadata={"help": "{parameter-name regex: learning rate}."}
    )

    def __post_init__(self) -> None:
        self.prompts = _parse_prompts(self.prompts)
        self.router_mapping = _parse_mapping(
            self.router_mapping, "router_mapping", '{"query": "query", "positive": "document"}'
        )
        rates = _parse_mapping(
            self.learning_rate_mapping, "learning_rate_mapping", '{"SparseStaticEmbedding\\\\.weight": 1e-3}'
        )
        try:
            self.learning_rate_mapping = {str(pattern): float(rate) for pattern, rate in rates.items()}
        except (TypeError, ValueError):
            raise InputError(f"learning_rate_mapping values must be numbers, got {rates}") from None
        self.batch_sampler = _parse_enum(self.batch_sampler, BatchSamplers, "batch_sampler")
        self.multi_dataset_batch_sampler = _parse_enum(
            self.multi_dataset_batch_sampler, MultiDatasetBatchSamplers, "multi_dataset_batch_sampler"
        )
        super().__post_init__()
        # The losses return no predictions, and buffers (e.g. the CSR dead-latent counters) are per process.
        self.prediction_loss_only = True
        self.ddp_broadcast_buffers = False
        if (
            self.output_dir != "unused"
            and self.parallel_mode == ParallelMode.DISTRIBUTED
            and not self.dataloader_drop_last
        ):
            logger.info("distributed training: setting dataloader_drop_last=True so every process gets full batches")
            self.dataloader_drop_last = True

    def to_dict(self) -> dict[str, Any]:
        """Like TrainingArguments.to_dict, without sampler callables (which JSON cannot hold)."""
        data = super().to_dict()
        for key in ("batch_sampler", "multi_dataset_batch_sampler"):
            if callable(data.get(key)):
                data[key] = getattr(data[key], "__name__", repr(data[key]))
        return data
