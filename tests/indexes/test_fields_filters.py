"""Stored metadata fields and filters: types, coercion, refusals, round trip, and masks against plain Python."""

from __future__ import annotations

import json

import numpy as np
import pytest

from splade_search.errors import IndexFormatError, InputError
from splade_search.indexes.fields import FieldColumns
from splade_search.indexes.filters import parse_filter

RECORDS = [
    {"year": 2019, "source": "manual", "tags": ["a", "b"], "draft": False, "meta": {"lang": "en"}},
    {"year": 2021, "source": "faq", "tags": ["b"], "draft": True},
    {"year": 2024.5, "source": "blog, news", "meta": {"lang": "de"}},
    None,
    {"year": 2020, "source": "manual", "tags": [], "draft": False},
]
IDS = ["d0", "d1", "d2", "d3", "d4"]


def test_types_are_inferred_flattened_and_int_float_coerced():
    fields = FieldColumns.from_records(RECORDS, IDS)
    assert fields.schema() == {"draft": "bool", "meta.lang": "string", "source": "string", "tags": "strings", "year": "float"}
    assert fields.coerced == ("year",)
    assert fields.record(0) == {"draft": False, "meta.lang": "en", "source": "manual", "tags": ["a", "b"], "year": 2019.0}
    assert fields.record(3) == {}


@pytest.mark.parametrize(
    "records, message",
    [
        ([{"year": 2020}, {"year": "2021"}], r"'year' is int in document 'd0' but string in document 'd1'"),
        ([{"draft": True}, {"draft": 1}], r"'draft' is bool in document 'd0' but int"),
        ([{"tags": ["a"]}, {"tags": "a"}], r"'tags' is strings in document 'd0' but string"),
        ([{"x": [1, 2]}], r"field 'x' holds list"),
        ([{"x": float("nan")}], r"field 'x' holds float nan"),
        ([{"title": "t"}], r"'title' is reserved"),
    ],
)
def test_mixed_or_unsupported_values_are_refused_by_name(records, message):
    with pytest.raises(InputError, match=message):
        FieldColumns.from_records(records, IDS[: len(records)])


def test_write_and_open_round_trip(tmp_path):
    fields = FieldColumns.from_records(RECORDS, IDS)
    files = fields.write(tmp_path / "fields")
    assert all(name.startswith("fields/") for name in files)
    opened = FieldColumns.open(tmp_path / "fields", 5)
    assert [opened.record(i) for i in range(5)] == [fields.record(i) for i in range(5)]
    with pytest.raises(IndexFormatError, match="fields of 6 documents"):
        FieldColumns.open(tmp_path / "fields", 6)


def test_crafted_codes_are_refused(tmp_path):
    FieldColumns.from_records(RECORDS, IDS).write(tmp_path / "fields")
    schema = json.loads((tmp_path / "fields" / "fields.json").read_text())
    stem = next(e["file"] for e in schema["fields"] if e["name"] == "source")
    np.save(tmp_path / "fields" / f"{stem}.codes.npy", np.array([0, 1, 99, -1, 0], dtype=np.int32))
    with pytest.raises(IndexFormatError, match="codes outside"):
        FieldColumns.open(tmp_path / "fields", 5)


def python_mask(predicate):
    return [bool(predicate(flat)) for flat in ({} if r is None else {**r, **{f"meta.{k}": v for k, v in r.get("meta", {}).items()}} for r in RECORDS)]


@pytest.mark.parametrize(
    "spec, predicate",
    [
        ("year>=2020", lambda r: "year" in r and r["year"] >= 2020),
        ("year < 2021 and draft = false", lambda r: "year" in r and r["year"] < 2021 and r.get("draft") is False),
        ("source in manual, 'blog, news'", lambda r: r.get("source") in ("manual", "blog, news")),
        ("source not in manual", lambda r: r.get("source") != "manual"),
        ("source != faq", lambda r: r.get("source") != "faq"),
        ("source >= c", lambda r: "source" in r and r["source"] >= "c"),
        ("tags = b", lambda r: "b" in r.get("tags", [])),
        ("tags in a,zzz", lambda r: "a" in r.get("tags", [])),
        ("tags != a", lambda r: "a" not in r.get("tags", [])),
        ("meta.lang = de", lambda r: r.get("meta.lang") == "de"),
        (["year > 2019", "source = manual"], lambda r: "year" in r and r["year"] > 2019 and r.get("source") == "manual"),
        ({"year": {"<=": 2021}, "source": ["faq", "manual"]}, lambda r: "year" in r and r["year"] <= 2021 and r.get("source") in ("faq", "manual")),
    ],
)
def test_filters_match_plain_python(spec, predicate):
    fields = FieldColumns.from_records(RECORDS, IDS)
    assert parse_filter(spec).mask(fields).tolist() == python_mask(predicate)


@pytest.mark.parametrize(
    "spec, message",
    [
        ("nope=1", r"field 'nope' is not stored in this index \(fields: draft, meta.lang, source, tags, year\)"),
        ("year>=abc", r"'abc' is not a number"),
        ("draft = maybe", r"'maybe' is not true or false"),
        ("draft > true", r"use = or !="),
        ("tags > a", r"list of strings"),
        ("year", r"cannot read the filter 'year'"),
        ("year >= ", r"cannot read the filter"),
        ({"year": {"~": 1}}, r"unknown operator '~'"),
    ],
)
def test_bad_filters_are_clear_errors(spec, message):
    fields = FieldColumns.from_records(RECORDS, IDS)
    with pytest.raises(InputError, match=message):
        parse_filter(spec).mask(fields)


def test_no_filter():
    assert parse_filter(None) is None and parse_filter("") is None and parse_filter([]) is None


def test_an_index_keeps_fields_through_add_and_delete_and_filters_inside_the_top_k(tmp_path):
    import scipy.sparse as sp

    from splade_search.indexes import CsrIndex, SparseIndex

    rows = sp.csr_matrix(np.ones((5, 3), dtype=np.float32) * np.arange(1, 6, dtype=np.float32)[:, None])
    CsrIndex.build(tmp_path / "idx", [(IDS, rows)], ["a", "b", "c"], fields=RECORDS, show_progress=False)
    index = SparseIndex.open(tmp_path / "idx")
    query = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    assert index.search(query, k=2)[0].ids == ["d4", "d3"]
    assert index.search(query, k=2, filter="source=manual")[0].ids == ["d4", "d0"]
    added = CsrIndex.add(tmp_path / "idx", [(["d5"], rows[:1] * 10)], fields=[{"source": "manual", "year": 2030}])
    assert added.search(query, k=2, filter="source = manual and year >= 2020")[0].ids == ["d5", "d4"]
    kept = CsrIndex.delete(tmp_path / "idx", ["d5", "d0"])
    assert kept.fields.record(kept.doc_ids.index("d4")) == {"draft": False, "source": "manual", "tags": [], "year": 2020.0}
    with pytest.raises(InputError, match="'nope' is not stored"):
        kept.search(query, filter="nope=1")
    bare = CsrIndex.build(tmp_path / "bare", [(IDS, rows)], ["a", "b", "c"], show_progress=False)
    with pytest.raises(InputError, match="stores no metadata fields"):
        bare.search(query, filter="year>1")
