"""The README.md model card written next to a saved SparseEncoder.

``SparseEncoderModelCardData`` holds what the model itself cannot tell (datasets, losses,
hyper-parameters, evaluation results); the trainer fills it through a callback.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .encoder import SparseEncoder

BASE_TAGS = ["sentence-transformers", "sparse-encoder", "sparse"]
SIMILARITY_NAMES = {
    "dot": "Dot Product",
    "cosine": "Cosine Similarity",
    "euclidean": "Euclidean Distance",
    "manhattan": "Manhattan Distance",
}


@dataclass
class SparseEncoderModelCardData:
    """What the model card says beyond what the model itself tells.

    ``train_datasets``/``eval_datasets`` hold ``{"name", "id", "size", "columns"}`` dicts, ``losses``
    hold ``{"dataset", "name", "config", "citation"}`` dicts, ``training_hyperparameters`` the
    arguments that differ from the defaults, ``eval_results`` the last evaluation metrics.
    """

    language: str | list[str] | None = None
    license: str | None = None
    model_name: str | None = None
    model_id: str | None = None
    base_model: str | None = None
    train_datasets: list[dict[str, Any]] = field(default_factory=list)
    eval_datasets: list[dict[str, Any]] = field(default_factory=list)
    task_name: str = "semantic search and sparse retrieval"
    tags: list[str] = field(default_factory=lambda: list(BASE_TAGS))
    losses: list[dict[str, Any]] = field(default_factory=list)
    training_hyperparameters: dict[str, Any] = field(default_factory=dict)
    eval_results: dict[str, float] = field(default_factory=dict)
    local_files_only: bool = False
    generate_widget_examples: bool = True

    def add_tags(self, tags: str | list[str]) -> None:
        """Append tags, keeping the order and dropping duplicates."""
        self.tags = list(dict.fromkeys([*self.tags, *([tags] if isinstance(tags, str) else tags)]))

    def set_model_id(self, model_id: str) -> None:
        self.model_id = model_id

    def set_language(self, language: str | list[str]) -> None:
        self.language = language

    def set_license(self, license: str) -> None:
        self.license = license


def model_kind(model: SparseEncoder) -> tuple[str, list[str]]:
    """The model type sentence and the architecture tags."""
    from .modules import Router, SparseAutoEncoder, SparseStaticEmbedding, SpladePooling

    classes = {type(m) for m in model.modules()}
    tags = []
    if Router in classes:
        tags.append("asymmetric")
    if SparseStaticEmbedding in classes:
        tags.append("inference-free")
    if SpladePooling in classes:
        tags.append("splade")
    if SparseAutoEncoder in classes:
        tags.append("csr")
    if "csr" in tags:
        name = "CSR Sparse Encoder"
    elif "inference-free" in tags:
        name = "Asymmetric Inference-free SPLADE Sparse Encoder"
    elif "splade" in tags:
        name = "SPLADE Sparse Encoder"
    else:
        name = "Sparse Encoder"
    return name, tags


def _front_matter(data: SparseEncoderModelCardData, tags: list[str], datasets: list[str]) -> list[str]:
    lines = ["---", "library_name: sentence-transformers", "pipeline_tag: feature-extraction", "tags:"]
    lines += [f"- {t}" for t in tags]
    if datasets:
        lines += ["datasets:"] + [f"- {d}" for d in datasets]
    if data.language:
        languages = [data.language] if isinstance(data.language, str) else data.language
        lines += ["language:"] + [f"- {lang}" for lang in languages]
    if data.license:
        lines.append(f"license: {data.license}")
    if data.base_model:
        lines.append(f"base_model: {data.base_model}")
    if data.eval_results:
        lines += ["metrics:"] + [f"- {key}" for key in data.eval_results]
    return lines + ["---"]


def _usage(name: str) -> list[str]:
    return [
        "## Usage",
        "",
        "```python",
        "from splade_search import SparseEncoder  # or: from sentence_transformers import SparseEncoder",
        "",
        f'model = SparseEncoder("{name}")',
        'query = model.encode_query(["what causes diabetes"])',
        'docs = model.encode_document(["Diabetes is caused by ...", "The weather is nice."])',
        "print(model.similarity(query, docs))",
        "print(model.decode(query[0], top_k=10))  # the query's heaviest terms",
        "```",
    ]


def _training_sections(data: SparseEncoderModelCardData, extra_datasets: list[str]) -> list[str]:
    lines: list[str] = []
    if data.train_datasets or extra_datasets:
        lines += ["", "## Training details", "", "### Training datasets"]
        for entry in data.train_datasets:
            details = [f"{key}: {entry[key]}" for key in ("size", "columns") if entry.get(key) not in (None, [])]
            label = entry.get("id") or entry.get("name") or "dataset"
            lines.append(f"- **{label}**" + (f" ({'; '.join(map(str, details))})" if details else ""))
        lines += [f"- **{name}**" for name in extra_datasets]
    for loss in data.losses:
        where = f" (dataset {loss['dataset']})" if loss.get("dataset") else ""
        lines += [
            "",
            f"### Loss: `{loss['name']}`{where}",
            "",
            "```json",
            json.dumps(loss.get("config", {}), indent=4, default=str),
            "```",
        ]
    if data.training_hyperparameters:
        lines += ["", "### Training hyper-parameters", ""]
        lines += [f"- `{key}`: {value}" for key, value in data.training_hyperparameters.items()]
    if data.eval_results:
        lines += ["", "## Evaluation", "", "| metric | value |", "|---|---:|"]
        lines += [
            f"| {key} | {value:.4f} |" if isinstance(value, float) else f"| {key} | {value} |"
            for key, value in data.eval_results.items()
        ]
    citations = list(dict.fromkeys(loss["citation"].strip() for loss in data.losses if loss.get("citation")))
    if citations:
        lines += ["", "## Citation", "", "```bibtex", "\n\n".join(citations), "```"]
    return lines


def render_model_card(
    model: SparseEncoder, model_name: str | None = None, train_datasets: list[str] | None = None
) -> str:
    """The README.md text: YAML front matter, model details, usage, training and evaluation sections."""
    data: SparseEncoderModelCardData = model.model_card_data or SparseEncoderModelCardData()
    kind, arch_tags = model_kind(model)
    tags = list(dict.fromkeys([*data.tags, *arch_tags]))
    extra = [d for d in (train_datasets or []) if d]
    datasets = [d.get("id") for d in data.train_datasets if d.get("id")] + extra
    name = model_name or data.model_name or data.model_id or "sparse-encoder"
    similarity = SIMILARITY_NAMES[model.similarity_fn_name]
    lines = [
        *_front_matter(data, tags, list(dict.fromkeys(datasets))),
        "",
        f"# {kind}: {name}",
        "",
        f"This is a {kind} model for {data.task_name}, saved by splade-search in the sentence-transformers format.",
        "",
        "## Model details",
        f"- **Model type:** {kind}",
    ]
    if data.base_model:
        lines.append(f"- **Base model:** {data.base_model}")
    lines += [
        f"- **Maximum sequence length:** {model.max_seq_length} tokens",
        f"- **Output dimensionality:** {model.get_sentence_embedding_dimension()} dimensions",
        f"- **Similarity function:** {similarity}",
    ]
    if model.max_active_dims is not None:
        lines.append(f"- **Maximum active dimensions:** {model.max_active_dims}")
    lines += ["", "```", repr(model), "```", "", *_usage(name)]
    lines += _training_sections(data, extra)
    return "\n".join(lines) + "\n"


def write_model_card(
    model: SparseEncoder, folder: Path, model_name: str | None = None, train_datasets: list[str] | None = None
) -> None:
    """Write README.md into ``folder``."""
    (folder / "README.md").write_text(render_model_card(model, model_name, train_datasets), encoding="utf-8")
