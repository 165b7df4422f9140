"""read_corpus over every source kind, and its rules for bad input."""

from __future__ import annotations

import re

import gzip
import json
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from splade_search.data import DataWarning, Document, count_documents, detect_kind, read_corpus, read_rows
from splade_search.errors import DataFormatError, InputError

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
EXPECTED = [
    Document("a", "Alpha", "The first document."),
    Document("b", "Beta", "The second document, with a comma."),
    Document("c", "", "A document whose title is null."),
]


def write_jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def gzip_copy(source: Path, target: Path) -> Path:
    target.write_bytes(gzip.compress(source.read_bytes()))
    return target


@pytest.mark.parametrize("name", ["docs.jsonl", "docs.csv", "docs.tsv", "docs.parquet"])
def test_record_files_give_the_same_documents(name: str) -> None:
    assert list(read_corpus(FIXTURES / name)) == EXPECTED


@pytest.mark.parametrize("name", ["docs.jsonl", "docs.csv", "docs.tsv"])
def test_gzipped_record_files(tmp_path: Path, name: str) -> None:
    path = gzip_copy(FIXTURES / name, tmp_path / f"{name}.gz")
    assert list(read_corpus(path)) == EXPECTED


def test_detect_kind() -> None:
    assert detect_kind(FIXTURES / "text_docs") == "text-folder"
    assert detect_kind(FIXTURES / "beir_tiny") == "beir"
    assert detect_kind(FIXTURES / "docs.parquet") == "parquet"
    assert detect_kind("BeIR/scifact") == "hub"


def test_unknown_file_type_and_missing_path(tmp_path: Path) -> None:
    (tmp_path / "corpus.xml").write_text("<docs/>")
    with pytest.raises(InputError, match=r"corpus\.xml.*'\.xml'"):
        read_corpus(tmp_path / "corpus.xml")
    with pytest.raises(InputError, match="no such file or folder"):
        read_corpus(tmp_path / "missing.jsonl")
    with pytest.raises(InputError, match="unknown corpus kind 'xml'"):
        read_corpus(tmp_path / "corpus.xml", kind="xml")  # type: ignore[arg-type]


def test_beir_folder_reads_its_corpus() -> None:
    documents = list(read_corpus(FIXTURES / "beir_tiny"))
    assert [document.id for document in documents] == ["d1", "d2", "d3", "d4", "d5"]
    assert documents[0] == Document(
        "d1", "Sparse retrieval", "SPLADE expands queries and documents over the vocabulary."
    )


def test_text_folder_ids_titles_and_order() -> None:
    documents = list(read_corpus(FIXTURES / "text_docs"))
    assert [document.id for document in documents] == ["intro.md", "notes/bm25.md", "plain.txt"]
    intro, notes, plain = documents
    assert intro.title == "Learned sparse retrieval"
    assert intro.text == "SPLADE represents texts as sparse vectors over the vocabulary."
    assert notes.title == ""
    assert notes.text.endswith("# Not a title, since it is not the first line")
    assert (plain.id, plain.title, plain.text) == ("plain.txt", "", "A plain text document without a title.")
    assert plain.metadata["path"] == "plain.txt" and plain.metadata["extension"] == "txt"
    assert plain.metadata["size"] == (FIXTURES / "text_docs" / "plain.txt").stat().st_size
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", plain.metadata["modified"])


def test_text_folder_skips_hidden_and_reports_other_files(tmp_path: Path) -> None:
    folder = shutil.copytree(FIXTURES / "text_docs", tmp_path / "docs")
    (folder / ".hidden.txt").write_text("secret")
    (folder / ".git").mkdir()
    (folder / ".git" / "HEAD.txt").write_text("ref")
    (folder / "paper.pdf").write_bytes(b"%PDF")
    with pytest.warns(DataWarning, match=r"ignored 1 file\(s\) that are not \.txt/\.md \(\.pdf: 1\)"):
        ids = [document.id for document in read_corpus(folder)]
    assert ids == ["intro.md", "notes/bm25.md", "plain.txt"]


def test_markdown_heading_forms(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("\n## Learning C# ##\nbody\n")
    (tmp_path / "b.md").write_text("#hashtag\nbody\n")
    assert [(d.id, d.title, d.text) for d in read_corpus(tmp_path)] == [
        ("a.md", "Learning C#", "body"),
        ("b.md", "", "#hashtag\nbody"),
    ]


def test_text_folder_non_utf8_file_is_skipped_or_raises(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("fine", encoding="utf-8")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    with pytest.warns(DataWarning, match=r"latin1\.txt: not valid UTF-8.*skipped"):
        assert [document.id for document in read_corpus(tmp_path)] == ["good.txt"]
    with pytest.raises(DataFormatError, match=r"latin1\.txt: not valid UTF-8"):
        list(read_corpus(tmp_path, on_decode_error="error"))


def test_jsonl_non_utf8_line(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_bytes(b'{"_id": "1", "text": "ok"}\n{"_id": "2", "text": "caf\xe9"}\n')
    with pytest.warns(DataWarning, match=r"c\.jsonl, line 2: not valid UTF-8"):
        assert [document.id for document in read_corpus(path)] == ["1"]
    with pytest.raises(DataFormatError, match=r"c\.jsonl, line 2: not valid UTF-8"):
        list(read_corpus(path, on_decode_error="error"))


def test_utf8_bom_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"_id": "1", "text": "x"}\n')
    assert list(read_corpus(path)) == [Document("1", "", "x")]


@pytest.mark.parametrize("content", ["", "\n\n"])
def test_empty_file_is_an_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text(content)
    with pytest.raises(DataFormatError, match=r"empty\.jsonl: no records found"):
        list(read_corpus(path))


def test_empty_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="no records found"):
        list(read_corpus(tmp_path))


def test_empty_document_is_skipped_with_a_warning(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", [{"_id": "1", "text": "x"}, {"_id": "2", "title": " ", "text": None}])
    with pytest.warns(DataWarning, match=r"c\.jsonl, line 2: record '2' is empty.*skipped"):
        assert [document.id for document in read_corpus(path)] == ["1"]
    with pytest.raises(DataFormatError, match=r"c\.jsonl, line 2: record '2' is empty"):
        list(read_corpus(path, on_empty="error"))


def test_many_empty_documents_are_summarised(tmp_path: Path) -> None:
    rows = [{"_id": str(n), "text": ""} for n in range(25)] + [{"_id": "full", "text": "x"}]
    path = write_jsonl(tmp_path / "c.jsonl", rows)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert [document.id for document in read_corpus(path)] == ["full"]
    messages = [str(warning.message) for warning in caught]
    assert len(messages) == 11
    assert "25 empty records skipped in all (15 not listed)" in messages[-1]


def test_all_documents_empty_is_an_error(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", [{"_id": "1", "text": ""}])
    with pytest.warns(DataWarning), pytest.raises(DataFormatError, match=r"no records found \(1 empty"):
        list(read_corpus(path))


def test_duplicate_id_names_both_locations(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "c.jsonl", [{"_id": "x", "text": "a"}, {"_id": "y", "text": "b"}, {"_id": "x", "text": "c"}]
    )
    stream = read_corpus(path)
    assert next(stream).id == "x"
    with pytest.raises(
        DataFormatError, match=r"duplicate id 'x': at .*c\.jsonl, line 1 and again at .*c\.jsonl, line 3"
    ):
        list(stream)


def test_malformed_json_line(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text('{"_id": "1", "text": "a"}\n{"_id": "2", "text": \n')
    with pytest.raises(DataFormatError, match=r"c\.jsonl, line 2: malformed JSON"):
        list(read_corpus(path))


def test_json_line_that_is_not_an_object(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", [["1", "text"]])
    with pytest.raises(DataFormatError, match=r"line 1: expected a JSON object, got list"):
        list(read_corpus(path))


def test_missing_id_field_names_file_line_and_field(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", [{"_id": "1", "text": "a"}, {"doc": "2", "text": "b"}])
    with pytest.raises(
        DataFormatError, match=r"c\.jsonl, line 2: no id field '_id', 'id' \(fields present: 'doc', 'text'\)"
    ):
        list(read_corpus(path))


def test_missing_text_field(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", [{"_id": "1", "body": "a"}])
    with pytest.raises(DataFormatError, match=r"line 1: no text field 'text'.*text_field="):
        list(read_corpus(path))


def test_configurable_fields(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", [{"pid": 7, "heading": "H", "body": "B"}])
    assert list(read_corpus(path, id_field="pid", title_field="heading", text_field="body")) == [
        Document("7", "H", "B")
    ]
    untitled = [Document("7", "", "B", {"heading": "H"})]
    assert list(read_corpus(path, id_field="pid", title_field=None, text_field="body")) == untitled


def test_id_field_falls_back_to_id(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", [{"id": "x", "text": "a"}])
    assert list(read_corpus(path)) == [Document("x", "", "a")]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"_id": 1.5, "text": "a"}, r"field '_id' must be a string or an integer, got float 1.5"),
        ({"_id": True, "text": "a"}, r"field '_id' must be a string or an integer, got bool"),
        ({"_id": " ", "text": "a"}, r"field '_id' is empty"),
        ({"_id": "1", "text": 42}, r"field 'text' must be a string or null, got int 42"),
        ({"_id": "1", "title": ["t"], "text": "a"}, r"field 'title' must be a string or null, got list"),
    ],
)
def test_bad_field_values(tmp_path: Path, row: dict[str, object], message: str) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", [row])
    with pytest.raises(DataFormatError, match=r"c\.jsonl, line 1: " + message):
        list(read_corpus(path))


def test_integer_id_and_null_text(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", [{"_id": 12, "title": "T", "text": None}])
    assert list(read_corpus(path)) == [Document("12", "T", "")]


def test_csv_wrong_field_count(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("_id,title,text\na,A,x\nb,B\n")
    with pytest.raises(DataFormatError, match=r"c\.csv, line 3: expected 3 fields \(_id, title, text\), found 2"):
        list(read_corpus(path))


def test_csv_quoted_newlines_and_long_fields(tmp_path: Path) -> None:
    long_text = "word " * 60_000
    path = tmp_path / "c.csv"
    path.write_text(f'_id,text\na,"two\nlines"\nb,{long_text}\n')
    assert list(read_corpus(path)) == [Document("a", "", "two\nlines"), Document("b", "", long_text)]


def test_csv_duplicate_column(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("_id,text,text\na,x,y\n")
    with pytest.raises(DataFormatError, match=r"c\.csv, line 1: duplicate column name\(s\) 'text'"):
        list(read_corpus(path))


def test_headerless_tsv_with_columns_and_no_quoting(tmp_path: Path) -> None:
    path = tmp_path / "collection.tsv"
    path.write_text('0\t"Quoted" start of a passage\n1\tsecond passage\n')
    documents = list(read_corpus(path, columns=["id", "text"]))
    assert documents == [Document("0", "", '"Quoted" start of a passage'), Document("1", "", "second passage")]


def test_parquet_reads_only_the_needed_columns(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    table = pa.table({"_id": [1, 2], "text": ["x", None], "title": ["T", "U"], "vector": [[0.1], [0.2]]})
    pq.write_table(table, tmp_path / "c.parquet")
    assert list(read_corpus(tmp_path / "c.parquet")) == [Document("1", "T", "x"), Document("2", "U", "")]


def test_corrupt_parquet(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    (tmp_path / "c.parquet").write_bytes(b"not parquet")
    with pytest.raises(DataFormatError, match=r"c\.parquet: not a readable parquet file"):
        list(read_corpus(tmp_path / "c.parquet"))


@pytest.mark.parametrize("name", ["text_docs", "beir_tiny", "docs.jsonl", "docs.csv", "docs.tsv", "docs.parquet"])
def test_count_documents(name: str) -> None:
    assert count_documents(FIXTURES / name) == len(list(read_corpus(FIXTURES / name)))


def test_count_documents_of_hub_dataset_is_unknown() -> None:
    assert count_documents("BeIR/scifact") is None


def test_read_rows() -> None:
    rows = [{"_id": "1", "text": "a"}, {"_id": "1", "text": "b"}]
    with pytest.raises(DataFormatError, match=r"duplicate id '1': at mine, row 1 and again at mine, row 2"):
        list(read_rows(rows, "mine"))


def test_bad_policy_value() -> None:
    with pytest.raises(InputError, match="on_empty must be 'warn' or 'error'"):
        read_corpus(FIXTURES / "docs.jsonl", on_empty="skip")  # type: ignore[arg-type]


def test_importing_data_package_is_light() -> None:
    heavy = ("datasets", "pandas", "pyarrow", "pytrec_eval", "torch")
    code = f"import sys, splade_search.data; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "[]"


def test_record_fields_beyond_id_title_text_are_metadata(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text('{"_id": "1", "title": "t", "text": "x", "year": 2021, "tags": ["a"], "note": null, "src": ""}\n')
    (document,) = read_corpus(path)
    assert document.metadata == {"year": 2021, "tags": ["a"]}
