"""TREC qrels and run files: round trips, atomic writes and malformed lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from splade_search.data import read_qrels, read_run, write_qrels, write_run
from splade_search.errors import DataFormatError, InputError


def test_write_run_ranks_by_descending_score(tmp_path: Path) -> None:
    path = tmp_path / "run.trec"
    write_run(path, {"q1": {"a": 0.5, "b": 2.0, "c": 1.0}, "q2": [("x", 3.0), ("y", 3.0)]}, tag="mine")
    assert path.read_text().splitlines() == [
        "q1 Q0 b 1 2.0 mine",
        "q1 Q0 c 2 1.0 mine",
        "q1 Q0 a 3 0.5 mine",
        "q2 Q0 x 1 3.0 mine",
        "q2 Q0 y 2 3.0 mine",
    ]


def test_run_round_trip_keeps_exact_scores(tmp_path: Path) -> None:
    run = {"q1": {"a": 0.1 + 0.2, "b": 1e-17, "c": -3.5}, "q2": {"d": 12345.678901234567}}
    for name in ("run.trec", "run.trec.gz"):
        write_run(tmp_path / name, run)
        assert read_run(tmp_path / name) == run


def test_write_run_validates_ids_tags_and_scores(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="'my tag' cannot be written"):
        write_run(tmp_path / "r", {"q": {"d": 1.0}}, tag="my tag")
    with pytest.raises(InputError, match="'doc 1' cannot be written"):
        write_run(tmp_path / "r", {"q": {"doc 1": 1.0}})
    with pytest.raises(InputError, match=r"query 'q' doc 'd': score nan is not finite"):
        write_run(tmp_path / "r", {"q": {"d": float("nan")}})


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "run.trec"
    write_run(path, {"q": {"d": 1.0}})
    before = path.read_text()
    with pytest.raises(InputError):
        write_run(path, {"q": {"d": 2.0}, "q2": {"bad id": 1.0}})
    assert path.read_text() == before
    assert [child.name for child in tmp_path.iterdir()] == ["run.trec"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("q1 Q0 d1 1 0.5\n", r"line 1: expected 6 fields 'query-id Q0 doc-id rank score tag', found 5"),
        ("q1 Q0 d1 1 0.5 t\nq1 Q0 d2 2 high t\n", r"line 2: score 'high' is not a number"),
        ("q1 Q0 d1 1 inf t\n", r"line 1: score 'inf' is not finite"),
        ("q1 Q0 d1 1 0.5 t\nq1 Q0 d1 2 0.4 t\n", r"line 2: doc 'd1' is listed twice for query 'q1'"),
        ("\n", r"the run has no results"),
    ],
)
def test_malformed_run(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "run.trec"
    path.write_text(content)
    with pytest.raises(DataFormatError, match=r"run\.trec.*" + message):
        read_run(path)


def test_read_qrels_trec_and_beir_forms(tmp_path: Path) -> None:
    (tmp_path / "a.qrels").write_text("q1 0 d1 2\nq1 0 d2 0\nq2\t0\td3\t1\n")
    (tmp_path / "b.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t2\nq1\td2\t0\nq2\td3\t1\n")
    expected = {"q1": {"d1": 2, "d2": 0}, "q2": {"d3": 1}}
    assert read_qrels(tmp_path / "a.qrels") == expected
    assert read_qrels(tmp_path / "b.tsv") == expected


def test_qrels_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "q.tsv"
    path.write_text("q1\td1\t1\nq1\td1\t1\n")
    assert read_qrels(path) == {"q1": {"d1": 1}}
    path.write_text("q1\td1\t1\nq1\td2\t1\nq1\td1\t2\n")
    with pytest.raises(DataFormatError, match=r"q\.tsv, line 3: query 'q1' doc 'd1' judged 2, but 1 at line 1"):
        read_qrels(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("q1 d1\n", r"line 1: expected 4 fields .* found 2"),
        ("query-id\tcorpus-id\tscore\nq1\td1\tx\n", r"line 2: relevance 'x' is not an integer"),
        ("q1\td1\t1\nq1\td2\t1.0\n", r"line 2: relevance '1.0' is not an integer"),
        ("query-id\tcorpus-id\tscore\n", r"no relevance judgements found"),
    ],
)
def test_malformed_qrels(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "q.tsv"
    path.write_text(content)
    with pytest.raises(DataFormatError, match=r"q\.tsv.*" + message):
        read_qrels(path)


@pytest.mark.parametrize("style", ["trec", "beir"])
def test_qrels_round_trip(tmp_path: Path, style: str) -> None:
    qrels = {"q1": {"d1": 2, "d2": 0}, "q2": {"d3": 1}}
    write_qrels(tmp_path / "q", qrels, style=style)  # type: ignore[arg-type]
    assert read_qrels(tmp_path / "q") == qrels
    first = (tmp_path / "q").read_text().splitlines()[0]
    assert first == ("q1 0 d1 2" if style == "trec" else "query-id\tcorpus-id\tscore")


def test_write_qrels_rejects_non_integer_relevance(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"query 'q' doc 'd': relevance must be an int, got 1.5"):
        write_qrels(tmp_path / "q", {"q": {"d": 1.5}})  # type: ignore[dict-item]
