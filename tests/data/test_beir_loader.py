"""load_beir: layout checks, split selection, and judgements naming unknown ids."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from splade_search.data import BeirData, DataWarning, Document, beir_splits, load_beir
from splade_search.errors import DataFormatError, InputError

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture
def beir_copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURES / "beir_tiny", tmp_path / "tiny"))


def test_load_test_split() -> None:
    data = load_beir(FIXTURES / "beir_tiny")
    assert (data.name, data.split) == ("beir_tiny", "test")
    assert list(data.corpus) == ["d1", "d2", "d3", "d4", "d5"]
    assert data.corpus["d3"] == Document("d3", "", "Dense retrieval encodes texts as single vectors.")
    assert data.queries == {
        "q1": "what is sparse retrieval",
        "q2": "how does BM25 rank documents",
        "q3": "what is an inverted index",
    }
    assert data.qrels == {"q1": {"d1": 2, "d3": 1}, "q2": {"d2": 1}, "q3": {"d4": 1, "d2": 0}}
    assert data.problems == []
    assert data.stats == {
        "documents": 5,
        "queries": 3,
        "judgements": 5,
        "judgements_unknown_query": 0,
        "judgements_unknown_doc": 0,
    }
    assert repr(data) == "BeirData(name='beir_tiny', split='test', documents=5, queries=3, problems=0)"


def test_queries_are_restricted_to_the_split() -> None:
    data = load_beir(FIXTURES / "beir_tiny", split="dev")
    assert data.queries == {"q4": "a query with judgements only in dev"}
    assert data.qrels == {"q4": {"d5": 1}}


def test_unknown_split_lists_available_ones() -> None:
    assert beir_splits(FIXTURES / "beir_tiny") == ["dev", "test"]
    with pytest.raises(DataFormatError, match=r"no split 'train' \(no qrels/train\.tsv\); available splits: dev, test"):
        load_beir(FIXTURES / "beir_tiny", split="train")


@pytest.mark.parametrize(
    ("remove", "message"),
    [
        ("corpus.jsonl", r"missing corpus\.jsonl; a BEIR folder holds corpus\.jsonl, queries\.jsonl"),
        ("queries.jsonl", r"missing queries\.jsonl; a BEIR folder holds"),
        ("qrels", r"missing qrels/test\.tsv and no other qrels/\*\.tsv; a BEIR folder holds"),
    ],
)
def test_missing_file_is_named(beir_copy: Path, remove: str, message: str) -> None:
    target = beir_copy / remove
    shutil.rmtree(target) if target.is_dir() else target.unlink()
    with pytest.raises(DataFormatError, match=message):
        load_beir(beir_copy)


def test_not_a_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope: no such folder"):
        load_beir(tmp_path / "nope")


def test_gzipped_jsonl_files(beir_copy: Path) -> None:
    for name in ("corpus.jsonl", "queries.jsonl"):
        path = beir_copy / name
        (beir_copy / f"{name}.gz").write_bytes(gzip.compress(path.read_bytes()))
        path.unlink()
    assert load_beir(beir_copy).stats == load_beir(FIXTURES / "beir_tiny").stats


def test_qrels_without_header(beir_copy: Path) -> None:
    (beir_copy / "qrels" / "test.tsv").write_text("q1\td1\t1\n")
    assert load_beir(beir_copy).qrels == {"q1": {"d1": 1}}


def test_non_integer_score_names_file_line_and_field(beir_copy: Path) -> None:
    (beir_copy / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\thigh\n")
    with pytest.raises(DataFormatError, match=r"test\.tsv, line 3: relevance 'high' is not an integer"):
        load_beir(beir_copy)


def test_unknown_query_and_doc_ids_are_counted_and_warned(beir_copy: Path) -> None:
    (beir_copy / "qrels" / "test.tsv").write_text("q1\td1\t1\nq1\tgone\t1\nq9\td2\t1\nq9\td3\t2\n")
    with pytest.warns(DataWarning) as caught:
        data = load_beir(beir_copy)
    assert data.qrels == {"q1": {"d1": 1, "gone": 1}}
    assert data.stats["judgements_unknown_query"] == 2
    assert data.stats["judgements_unknown_doc"] == 1
    assert data.problems == [
        "tiny test: 2 judgement(s) name 1 query id(s) missing from the queries ('q9'); dropped",
        "tiny test: 1 judgement(s) name 1 doc id(s) missing from the corpus ('gone'); "
        "kept, they can never be retrieved",
    ]
    assert [str(warning.message) for warning in caught] == data.problems


def test_no_judged_query_left_is_an_error(beir_copy: Path) -> None:
    (beir_copy / "qrels" / "test.tsv").write_text("q8\td1\t1\nq9\td2\t1\n")
    with pytest.raises(DataFormatError, match=r"tiny test: none of the 2 judged queries has a text"):
        load_beir(beir_copy)


def test_empty_query_is_skipped_with_a_warning(beir_copy: Path) -> None:
    with (beir_copy / "queries.jsonl").open("a") as f:
        f.write('{"_id": "q5", "text": ""}\n')
    with pytest.warns(DataWarning, match=r"queries\.jsonl, line 5: record 'q5' is empty"):
        assert "q5" not in load_beir(beir_copy).queries


def test_from_parts() -> None:
    data = BeirData.from_parts([Document("d", "", "text")], {"q": "query", "other": "x"}, {"q": {"d": 1}}, name="mine")
    assert (data.queries, data.qrels, data.name) == ({"q": "query"}, {"q": {"d": 1}}, "mine")
