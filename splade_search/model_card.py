"""The README.md model card written next to a saved SparseEncoder."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .encoder import SparseEncoder

BASE_TAGS = ["sentence-transformers", "sparse-encoder", "sparse"]


@dataclass
class SparseEncoderModelCardData:
    """What the model card says beyond what the model itself tells."""

    language: str | list[str] | None = None
    license: str | None = None
    model_name: str | None = None
    model_id: str | None = None
    train_datasets: list[dict[str, str]] = field(default_factory=list)
    eval_datasets: list[dict[str, str]] = field(default_factory=list)
    task_name: str = "semantic search and sparse retrieval"
    tags: list[str] = field(default_factory=lambda: list(BASE_TAGS))
    losses: list[dict[str, Any]] = field(default_factory=list)
    eval_results: dict[str, float] = field(default_factory=dict)


def model_kind(model: "SparseEncoder") -> tuple[str, list[str]]:
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


def render_model_card(model: "SparseEncoder", model_name: str | None = None, train_datasets: list[str] | None = None) -> str:
    """The README.md text: YAML front matter, model description and a usage snippet."""
    data: SparseEncoderModelCardData = model.model_card_data or SparseEncoderModelCardData()
    kind, arch_tags = model_kind(model)
    tags = list(dict.fromkeys([*data.tags, *arch_tags]))
    datasets = [d.get("id") or d.get("name") for d in data.train_datasets] + list(train_datasets or [])
    name = model_name or data.model_name or data.model_id or "sparse-encoder"
    front = ["---", "library_name: sentence-transformers", "pipeline_tag: feature-extraction", "tags:"]
    front += [f"- {t}" for t in tags]
    if datasets:
        front += ["datasets:"] + [f"- {d}" for d in datasets if d]
    if data.license:
        front.append(f"license: {data.license}")
    front.append("---")
    similarity = {"dot": "Dot Product", "cosine": "Cosine Similarity", "euclidean": "Euclidean Distance", "manhattan": "Manhattan Distance"}[model.similarity_fn_name]
    lines = [
        *front,
        "",
        f"# {kind}: {name}",
        "",
        f"This is a {kind} model for {data.task_name}, saved by splade-search in the sentence-transformers format.",
        "",
        "## Model details",
        f"- **Model type:** {kind}",
        f"- **Maximum sequence length:** {model.max_seq_length} tokens",
        f"- **Output dimensionality:** {model.get_sentence_embedding_dimension()} dimensions",
        f"- **Similarity function:** {similarity}",
    ]
    if model.max_active_dims is not None:
        lines.append(f"- **Maximum active dimensions:** {model.max_active_dims}")
    lines += ["", "```", repr(model), "```", "", "## Usage", "", "```python",
              "from splade_search import SparseEncoder  # or: from sentence_transformers import SparseEncoder",
              "", f'model = SparseEncoder("{name}")',
              'query = model.encode_query(["what causes diabetes"])',
              'docs = model.encode_document(["Diabetes is caused by ...", "The weather is nice."])',
              "print(model.similarity(query, docs))", "```"]
    if data.losses:
        import json

        lines += ["", "## Training", ""]
        for loss in data.losses:
            lines += ["```json", json.dumps(loss, indent=4), "```"]
    if data.eval_results:
        lines += ["", "## Evaluation", "", "| metric | value |", "|---|---:|"]
        lines += [f"| {k} | {v:.4f} |" for k, v in data.eval_results.items()]
    return "\n".join(lines) + "\n"


def write_model_card(model: "SparseEncoder", folder: Path, model_name: str | None = None, train_datasets: list[str] | None = None) -> None:
    """Write README.md into ``folder``."""
    (folder / "README.md").write_text(render_model_card(model, model_name, train_datasets), encoding="utf-8")
