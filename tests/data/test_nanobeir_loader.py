"""NanoBEIR names, the two hub layouts (datasets.load_dataset faked) and local folders."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from splade_search.data import NANOBEIR_DATASETS, DataWarning, Document, load_nanobeir, nanobeir_name
from splade_search.data.nanobeir import qrels_from_rows
from splade_search.errors import DataFormatError, InputError

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

CORPUS = [{"_id": "d1", "text": "first"}, {"_id": "d2", "text": ""}, {"_id": "d3", "text": "third"}]
QUERIES = [{"_id": "q1", "text": "one"}, {"_id": "q2", "text": "two"}, {"_id": "q3", "text": "unjudged"}]
QRELS = [
    {"query-id": "q1", "corpus-id": "d1"},
    {"query-id": "q2", "corpus-id": "d1"},
    {"query-id": "q2", "corpus-id": "d3"},
]


def test_thirteen_names() -> None:
    assert list(NANOBEIR_DATASETS.values()) == [
        "ClimateFEVER", "DBPedia", "FEVER", "FiQA2018", "HotpotQA", "MSMARCO", "NFCorpus",
        "NQ", "QuoraRetrieval", "SCIDOCS", "ArguAna", "SciFact", "Touche2020",
    ]  # fmt: skip
    assert all(short == human.lower() for short, human in NANOBEIR_DATASETS.items())


@pytest.mark.parametrize("name", ["scifact", "SciFact", "NanoSciFact", " nanoscifact "])
def test_name_forms(name: str) -> None:
    assert nanobeir_name(name) == "scifact"


def test_unknown_name_lists_valid_ones() -> None:
    with pytest.raises(
        InputError, match=r"unknown NanoBEIR dataset 'trec-covid'; valid names: climatefever, dbpedia.*touche2020"
    ):
        load_nanobeir("trec-covid")


def test_qrels_rows_with_id_lists_and_scores() -> None:
    rows = [{"query-id": "q1", "corpus-id": ["d1", "d2"]}, {"query-id": 7, "corpus-id": "d3", "score": 2.0}]
    assert qrels_from_rows(rows, "x") == {"q1": {"d1": 1, "d2": 1}, "7": {"d3": 2}}
    with pytest.raises(DataFormatError, match=r"x, row 1: field 'score' must be an integer relevance, got 'high'"):
        qrels_from_rows([{"query-id": "q", "corpus-id": "d", "score": "high"}], "x")
    with pytest.raises(
        DataFormatError, match=r"x, row 1: field 'query-id' must be a string or an integer, got NoneType"
    ):
        qrels_from_rows([{"corpus-id": "d"}], "x")


@pytest.fixture
def fake_hub(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    datasets = pytest.importorskip("datasets")
    calls: list[tuple[Any, ...]] = []
    tables = {"corpus": CORPUS, "queries": QUERIES, "qrels": QRELS}

    def load_dataset(path: str, name: str | None = None, *, split: str | None = None) -> Any:
        calls.append((path, name, split))
        return datasets.Dataset.from_list(tables[name])

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    return calls


def test_sentence_transformers_layout(fake_hub: list[tuple[Any, ...]]) -> None:
    with pytest.warns(DataWarning, match=r"NanoBEIR-en \(corpus, NanoSciFact\), row 2: record 'd2' is empty"):
        data = load_nanobeir("scifact")
    assert fake_hub == [
        ("sentence-transformers/NanoBEIR-en", config, "NanoSciFact") for config in ("corpus", "queries", "qrels")
    ]
    assert data.name == "NanoSciFact"
    assert data.corpus == {"d1": Document("d1", "", "first"), "d3": Document("d3", "", "third")}
    assert data.queries == {"q1": "one", "q2": "two"}
    assert data.qrels == {"q1": {"d1": 1}, "q2": {"d1": 1, "d3": 1}}


def test_zeta_alpha_layout(fake_hub: list[tuple[Any, ...]]) -> None:
    with pytest.warns(DataWarning):
        data = load_nanobeir("Touche2020", source="zeta-alpha-ai")
    assert fake_hub == [("zeta-alpha-ai/NanoTouche2020", config, "train") for config in ("corpus", "queries", "qrels")]
    assert data.split == "train"


def test_offline_hub_names_the_local_option(monkeypatch: pytest.MonkeyPatch) -> None:
    datasets = pytest.importorskip("datasets")

    def offline(*_: Any, **__: Any) -> Any:
        raise ConnectionError("Couldn't reach the Hub (OfflineModeIsEnabled)")

    monkeypatch.setattr(datasets, "load_dataset", offline)
    with pytest.raises(InputError, match=r"NanoBEIR-en.*pass local_dir= a folder holding NanoFiQA2018/ in BEIR layout"):
        load_nanobeir("fiqa2018")


@pytest.mark.parametrize("folder_name", ["NanoSciFact", "scifact", "SciFact"])
def test_local_folder(tmp_path: Path, folder_name: str) -> None:
    shutil.copytree(FIXTURES / "beir_tiny", tmp_path / folder_name)
    data = load_nanobeir("scifact", local_dir=tmp_path)
    assert (data.name, data.split, len(data.corpus), len(data.queries)) == ("NanoSciFact", "test", 5, 3)


def test_local_folder_with_a_single_other_split(tmp_path: Path) -> None:
    folder = Path(shutil.copytree(FIXTURES / "beir_tiny", tmp_path / "NanoNQ"))
    (folder / "qrels" / "test.tsv").unlink()
    (folder / "qrels" / "dev.tsv").rename(folder / "qrels" / "train.tsv")
    assert load_nanobeir("nq", local_dir=tmp_path).split == "train"


def test_missing_local_folder_lists_what_was_tried(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"NanoBEIR NQ not found under .*: tried .*NanoNQ, .*nq, .*NQ"):
        load_nanobeir("nq", local_dir=tmp_path)
