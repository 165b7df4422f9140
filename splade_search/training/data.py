"""Training data for ``splade-search train``: local files or a hub dataset as a ``datasets.Dataset``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import InputError

LOCAL_SUFFIXES = (".jsonl", ".json", ".jsonl.gz", ".csv", ".tsv", ".parquet")


def _suffix(path: Path) -> str:
    name = path.name.lower()
    return next((s for s in sorted(LOCAL_SUFFIXES, key=len, reverse=True) if name.endswith(s)), path.suffix.lower())


def _read_local(path: Path) -> Any:
    from datasets import Dataset

    suffix = _suffix(path)
    if suffix in (".jsonl", ".json", ".jsonl.gz"):
        from ..data.jsonl import read_jsonl

        return Dataset.from_list([record for _, record in read_jsonl(path)])
    if suffix in (".csv", ".tsv"):
        from ..data.tabular import read_delimited

        return Dataset.from_list([row for _, row in read_delimited(path, delimiter="\t" if suffix == ".tsv" else ",")])
    if suffix == ".parquet":
        return Dataset.from_parquet(str(path))
    raise InputError(f"{path}: unsupported training file type {suffix!r}; use one of {', '.join(LOCAL_SUFFIXES)}")


def load_training_data(
    source: str,
    split: str = "train",
    config: str | None = None,
    columns: list[str] | None = None,
    label_column: str | None = None,
    max_rows: int | None = None,
) -> Any:
    """Rows for training: ``columns`` selects and orders the input columns (the first is the
    query/anchor); ``label_column`` is renamed to ``label``; ``max_rows`` keeps the first rows."""
    path = Path(source)
    if path.exists():
        dataset = _read_local(path)
    elif path.suffix or source.startswith((".", "/", "~")):
        raise InputError(f"training file {source} does not exist")
    else:
        from ..data.hub import load_hub_dataset

        dataset = load_hub_dataset(source, config, split, local_hint="Or pass a local .jsonl/.csv/.tsv/.parquet file.")
    if len(dataset) == 0:
        raise InputError(f"the training data {source} has no rows")
    wanted = list(columns or [])
    if label_column:
        wanted.append(label_column)
    missing = [c for c in wanted if c not in dataset.column_names]
    if missing:
        raise InputError(f"column(s) {missing} not found in {source}; its columns are {dataset.column_names}")
    if columns:
        dataset = dataset.select_columns(wanted)
    if label_column and label_column != "label":
        dataset = dataset.rename_column(label_column, "label")
    if max_rows is not None:
        dataset = dataset.select(range(min(max_rows, len(dataset))))
    return dataset


def document_texts(dataset: Any, limit: int = 100_000) -> list[str]:
    """The text of every input column but the first (the documents), for corpus statistics such as IDF."""
    from .dataset_checks import input_columns

    texts: list[str] = []
    for column in input_columns(dataset)[1:]:
        for value in dataset[column][:limit]:
            texts.extend(value if isinstance(value, list) else [value])
    return [t for t in texts if isinstance(t, str)]
