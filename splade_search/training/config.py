"""TrainConfig: everything ``splade-search train`` needs, from a YAML/JSON file and/or flags.

Flags override the file, the file overrides the defaults. Keys are the field names below (dashes
are accepted for underscores); an unknown key is an error that lists the valid ones.
"""

from __future__ import annotations

import json
import math
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from ..data._io import read_utf8
from ..errors import InputError
from .defaults import DEFAULT_EVAL_STEPS, DEFAULT_MODELS, LEARNING_RATES, REGULARIZER_WEIGHTS

ARCHITECTURES = ("splade", "inference-free", "csr")
LOSSES = ("mnrl", "margin-mse", "distill-kl", "mse", "cosent", "angle", "cosine", "triplet")

WHOLE_NUMBERS = {
    "batch_size": 1,
    "logging_steps": 1,
    "max_steps": 1,
    "max_length": 1,
    "max_rows": 1,
    "save_steps": 1,
    "save_total_limit": 1,
    "eval_steps": 1,
    "eval_max_queries": 1,
    "cached_mini_batch_size": 1,
    "seed": 0,
}
"""Integer settings and their smallest value (None, where allowed, means the default)."""
POSITIVE_NUMBERS = ("lr", "static_lr", "epochs", "scale")
NON_NEGATIVE_NUMBERS = ("warmup", "query_weight", "document_weight", "csr_beta", "csr_gamma")
BATCH_SAMPLERS = ("batch_sampler", "no_duplicates", "group_by_label")
NO_FLAG = ("scale", "csr_beta", "csr_gamma", "save_total_limit")
MAX_SEED = 2**32 - 1


@dataclass
class TrainConfig:
    """One training run: model, data, loss, hyper-parameters, evaluation and output."""

    output: str = "models/splade-search-model"
    model: str | None = None
    architecture: str = "splade"
    train_data: str | None = None
    train_split: str = "train"
    train_config: str | None = None
    columns: list[str] | None = None
    label_column: str | None = None
    max_rows: int | None = None
    loss: str = "mnrl"
    query_weight: float | None = None
    document_weight: float | None = None
    scale: float | None = None
    csr_beta: float = 0.1
    csr_gamma: float = 0.1
    csr_k: int | None = None
    csr_k_aux: int | None = None
    cached_mini_batch_size: int | None = None
    idf_json: str | None = None
    static_lr: float = 1e-3
    lr: float | None = None
    batch_size: int = 16
    epochs: float = 1.0
    max_steps: int | None = None
    max_length: int | None = 256
    warmup: float = 0.1
    seed: int = 42
    batch_sampler: str = "no_duplicates"
    logging_steps: int = 10
    save_steps: int | None = None
    save_total_limit: int | None = 2
    eval_data: str | None = None
    eval_split: str = "test"
    eval_steps: int | None = None
    eval_max_queries: int | None = None
    fp16: bool = False
    bf16: bool = False
    resume: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, choices in (("architecture", ARCHITECTURES), ("loss", LOSSES), ("batch_sampler", BATCH_SAMPLERS)):
            if getattr(self, name) not in choices:
                raise InputError(f"{_setting(name)} must be one of {', '.join(choices)}, got {getattr(self, name)!r}")
        if self.model is None:
            self.model = DEFAULT_MODELS[self.architecture]
        if isinstance(self.columns, str):
            self.columns = [c.strip() for c in self.columns.split(",") if c.strip()]
        _check_numbers(self)
        for name in ("csr_k", "csr_k_aux"):
            value = getattr(self, name)
            if value is not None and (self.architecture != "csr" or value < (1 if name == "csr_k" else 0)):
                raise InputError(
                    f"{name} applies to --architecture csr and must be >= {1 if name == 'csr_k' else 0}, got {value}"
                )
        if self.train_data is None:
            raise InputError(
                "no training data: pass --train-data (a .jsonl/.csv/.tsv/.parquet file or a hub dataset name)"
            )

    @property
    def learning_rate(self) -> float:
        """The base learning rate: ``lr``, else the architecture's default (`defaults.LEARNING_RATES`)."""
        return self.lr if self.lr is not None else LEARNING_RATES[self.architecture]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


PER_ARCHITECTURE = {
    "model": DEFAULT_MODELS,
    "lr": LEARNING_RATES,
    "query_weight": {name: weights[0] for name, weights in REGULARIZER_WEIGHTS.items()},
    "document_weight": {name: weights[1] for name, weights in REGULARIZER_WEIGHTS.items()},
}
"""Settings whose default depends on the architecture (``None`` in `TrainConfig` until one is chosen)."""
DERIVED_DEFAULTS = {"eval_steps": str(DEFAULT_EVAL_STEPS), "save_steps": "the eval steps"}
"""Settings left ``None`` in `TrainConfig` whose value is derived at training time, in words."""


def default_words(name: str) -> str | None:
    """The default of setting ``name`` as a help text says it (``"256"``, ``"2e-05; 4e-05 for csr"``);
    ``None`` when it has none to state."""
    if name in PER_ARCHITECTURE:
        values = PER_ARCHITECTURE[name]
        base = values[ARCHITECTURES[0]]
        others = [f"{_word(value)} for {arch}" for arch, value in values.items() if value != base]
        return "; ".join([_word(base), *others])
    if name in DERIVED_DEFAULTS:
        return DERIVED_DEFAULTS[name]
    default = next(f.default for f in fields(TrainConfig) if f.name == name)
    return None if default in (None, MISSING) or isinstance(default, bool) else _word(default)


def setting_type(name: str) -> type:
    """The value type of setting ``name``: int, float, bool or str (lists and paths count as str)."""
    annotation = str(next(f.type for f in fields(TrainConfig) if f.name == name))
    return next((kind for kind in (bool, int, float) if annotation.startswith(kind.__name__)), str)


def _word(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _check_numbers(config: TrainConfig) -> None:
    """Raise `InputError` for a numeric setting of the wrong type or out of range, naming setting and flag."""
    for name, least in WHOLE_NUMBERS.items():
        value = getattr(config, name)
        if value is None and name not in ("batch_size", "logging_steps", "seed"):
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise InputError(f"{_setting(name)} must be an integer >= {least}, got {value!r}")
        if name == "seed" and value > MAX_SEED:
            raise InputError(f"{_setting(name)} must be at most {MAX_SEED}, got {value}")
    for name in (*POSITIVE_NUMBERS, *NON_NEGATIVE_NUMBERS):
        value = getattr(config, name)
        if value is None and name not in ("static_lr", "epochs", "warmup", "csr_beta", "csr_gamma"):
            continue
        number = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        if not number or value < 0 or (value == 0 and name in POSITIVE_NUMBERS):
            bound = "> 0" if name in POSITIVE_NUMBERS else ">= 0"
            raise InputError(f"{_setting(name)} must be a finite number {bound}, got {value!r}")


def _setting(name: str) -> str:
    """A setting as the user gives it: ``max_length (--max-length)``."""
    return name if name in NO_FLAG else f"{name} (--{name.replace('_', '-')})"


def read_config_file(path: str | Path) -> dict[str, Any]:
    """The settings of a ``.yaml``/``.yml``/``.json`` file, keys normalised to field names."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"config file {path} does not exist or is not a file")
    text = read_utf8(path)
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"config file {path} is not valid JSON: {exc}") from None
    else:
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InputError(f"config file {path} is not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(f"config file {path} must hold a mapping of settings, got {type(data).__name__}")
    return {str(key).replace("-", "_"): value for key, value in data.items()}


def build_config(file_settings: dict[str, Any], flag_settings: dict[str, Any]) -> TrainConfig:
    """Defaults, overridden by the file, overridden by the flags that were given (not None)."""
    known = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(file_settings) - known)
    if unknown:
        raise InputError(f"unknown setting(s) {unknown} in the config file; valid keys: {', '.join(sorted(known))}")
    merged = {**file_settings, **{k: v for k, v in flag_settings.items() if v is not None}}
    try:
        return TrainConfig(**merged)
    except TypeError as exc:
        raise InputError(f"bad training settings: {exc}") from None
