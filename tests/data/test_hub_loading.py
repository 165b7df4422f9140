"""Hub datasets as corpora, with datasets.load_dataset replaced by a fake (no network in tests)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from splade_search.data import Document, read_corpus
from splade_search.data.hub import load_hub_dataset
from splade_search.errors import InputError

datasets = pytest.importorskip("datasets")

ROWS = [{"_id": "1", "title": "T", "text": "first"}, {"_id": "2", "title": "", "text": "second"}]


def fake_load_dataset(monkeypatch: pytest.MonkeyPatch, result: Callable[..., Any]) -> list[tuple[Any, ...]]:
    calls: list[tuple[Any, ...]] = []

    def load_dataset(path: str, name: str | None = None, *, split: str | None = None) -> Any:
        calls.append((path, name, split))
        return result(path, name, split)

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    return calls


def test_hub_corpus(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = fake_load_dataset(monkeypatch, lambda *_: datasets.Dataset.from_list(ROWS))
    documents = list(read_corpus("BeIR/scifact", hub_config="corpus", hub_split="corpus"))
    assert documents == [Document("1", "T", "first"), Document("2", "", "second")]
    assert calls == [("BeIR/scifact", "corpus", "corpus")]


def test_single_split_is_picked(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_load_dataset(monkeypatch, lambda *_: datasets.DatasetDict({"train": datasets.Dataset.from_list(ROWS)}))
    assert len(list(read_corpus("me/corpus"))) == 2


def test_several_splits_must_be_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    split = datasets.Dataset.from_list(ROWS)
    fake_load_dataset(monkeypatch, lambda *_: datasets.DatasetDict({"train": split, "test": split}))
    with pytest.raises(InputError, match="has splits train, test; choose one"):
        read_corpus("me/corpus")


def test_hub_rows_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_load_dataset(monkeypatch, lambda *_: datasets.Dataset.from_list([{"_id": "1", "body": "x"}]))
    with pytest.raises(InputError, match=r"me/corpus, row 1: no text field 'text'"):
        list(read_corpus("me/corpus"))


def raise_(error: Exception) -> Callable[..., Any]:
    def fail(*_: Any) -> Any:
        raise error

    return fail


def test_unreachable_hub_fails_at_once_naming_local_options(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    fake_load_dataset(monkeypatch, raise_(ConnectionError("Couldn't reach 'BeIR/scifact' on the Hub")))
    start = time.perf_counter()
    expected = r"cannot load hub dataset 'BeIR/scifact'.*offline mode.*No local file or folder is named 'BeIR/scifact'"
    with pytest.raises(InputError, match=expected):
        read_corpus("BeIR/scifact", hub_config="corpus")
    assert time.perf_counter() - start < 1


def test_connection_error_when_online(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    fake_load_dataset(monkeypatch, raise_(ConnectionError("no route")))
    with pytest.raises(InputError, match=r"cannot load hub dataset 'me/x': no route\. Use files"):
        load_hub_dataset("me/x", local_hint="Use files.")


def test_unknown_dataset_and_bad_config(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_load_dataset(monkeypatch, raise_(FileNotFoundError("Dataset 'me/x' doesn't exist")))
    with pytest.raises(InputError, match=r"not found on the hub or in the cache.*Use files"):
        load_hub_dataset("me/x", local_hint="Use files.")
    fake_load_dataset(monkeypatch, raise_(ValueError("Config name is missing")))
    with pytest.raises(InputError, match=r"hub dataset 'me/x' \(config 'c'\): Config name is missing"):
        load_hub_dataset("me/x", "c", local_hint="Use files.")
