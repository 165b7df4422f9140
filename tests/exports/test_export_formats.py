"""File exports read back: JSON Lines and parquet equal the index's vectors and records; the Elasticsearch and
OpenSearch folders hold a mapping of the right shape and bulk NDJSON whose escaped token names are legal and
read back as the vectors; a dot product over the bulk documents with the query builders' bodies ranks as csr does."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

from splade_search.errors import InputError
from splade_search.exports import (
    elasticsearch_query,
    export_index,
    is_legal_name,
    opensearch_query,
    rank_feature_query,
    unescape_token,
)
from splade_search.exports import bulk

from export_data import build, doc_ids, exact_top, token_matrix, vectors


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("formats")
    index, matrix = build(folder / "idx")
    return folder, index, matrix


def read_jsonl(path) -> list[dict]:
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.mark.parametrize("name", ["docs.jsonl", "docs.jsonl.gz"])
def test_jsonl_reads_back_as_the_index_vectors_and_records(built, name):
    folder, index, matrix = built
    summary = export_index(index, "jsonl", folder / name, show_progress=False, batch_rows=17)
    assert summary["documents"] == len(index) and summary["postings"] == matrix.nnz
    lines = read_jsonl(folder / name)
    assert [line["id"] for line in lines] == doc_ids()
    assert (token_matrix([line["vector"] for line in lines], index.vocab) != matrix).nnz == 0
    assert lines[3] | {"vector": None} == {
        "id": doc_ids()[3],
        "title": "Title 3",
        "text": "text of document 3",
        "metadata": {"year": 2003, "lang": "en", "tags": []},
        "vector": None,
    }
    assert lines[len(lines) // 2]["vector"] == {}


def test_parquet_reads_back_as_the_index_vectors_with_typed_metadata(built):
    import pyarrow.parquet as pq

    folder, index, matrix = built
    export_index(index, "parquet", folder / "docs.parquet", show_progress=False, batch_rows=50)
    table = pq.read_table(folder / "docs.parquet")
    assert table.schema.names == ["id", "title", "text", "metadata", "vector"]
    assert str(table.schema.field("metadata").type) == "struct<lang: string, tags: list<element: string>, year: int64>"
    rows = table.to_pylist()
    assert [row["id"] for row in rows] == doc_ids()
    vectors_back = [{term["token"]: term["weight"] for term in row["vector"]} for row in rows]
    assert (token_matrix(vectors_back, index.vocab) != matrix).nnz == 0
    assert rows[5]["metadata"] == {"lang": "en", "tags": ["x", "y"], "year": 2005} and rows[4]["metadata"]["tags"] == ["x"]
    assert len(pq.ParquetFile(folder / "docs.parquet").metadata.to_dict()["row_groups"]) == 3


@pytest.mark.parametrize(("to", "field_type"), [("opensearch", "rank_features"), ("elasticsearch", "sparse_vector")])
def test_search_engine_folder_has_a_mapping_and_bulk_documents_with_legal_names(built, to, field_type, monkeypatch):
    folder, index, matrix = built
    monkeypatch.setattr(bulk, "BULK_FILE_BYTES", 4000)
    summary = export_index(index, to, folder / to, show_progress=False)
    out = folder / to
    assert summary["files"][0] == "mapping.json" and len(summary["files"]) > 3
    assert sorted(p.name for p in out.iterdir()) == sorted(summary["files"] + ["export.json"])
    mapping = json.loads((out / "mapping.json").read_text())
    assert mapping["mappings"]["properties"] == {
        "id": {"type": "keyword"},
        "title": {"type": "text"},
        "text": {"type": "text"},
        "metadata": {"properties": {"lang": {"type": "keyword"}, "tags": {"type": "keyword"}, "year": {"type": "long"}}},
        "tokens": {"type": field_type},
    }
    actions, sources = [], []
    for name in summary["files"][1:]:
        data = (out / name).read_bytes()
        assert len(data) <= 4000 and data.endswith(b"\n")
        lines = [json.loads(line) for line in data.decode("utf-8").splitlines()]
        actions += lines[0::2]
        sources += lines[1::2]
    assert actions == [{"index": {"_id": doc_id}} for doc_id in doc_ids()]
    assert all(is_legal_name(name) for source in sources for name in source["tokens"])
    assert sum(len(source["tokens"]) for source in sources) == matrix.nnz
    back = [{unescape_token(name): weight for name, weight in source["tokens"].items()} for source in sources]
    assert (token_matrix(back, index.vocab) != matrix).nnz == 0
    assert {"%2E", "%5F", "%", "a%20b"} & {name for source in sources for name in source["tokens"]}
    marker = json.loads((out / "export.json").read_text())
    assert marker["to"] == to and marker["field"] == "tokens" and "%XX" in marker["token_names"]


def dot_product_top(sources: list[dict], weights: dict[str, float], k: int = 10) -> list[tuple[str, float]]:
    """What an engine's linear sum over the exported feature names ranks first."""
    scores = [(source["id"], sum(w * source["tokens"].get(name, 0.0) for name, w in weights.items())) for source in sources]
    hits = sorted((hit for hit in scores if hit[1] > 0), key=lambda hit: -hit[1])
    return hits[:k]


def test_query_builder_bodies_score_the_bulk_documents_as_csr_exact_search(built):
    folder, index, _ = built
    export_index(index, "elasticsearch", folder / "es-score", show_progress=False)
    sources = [json.loads(line) for line in (folder / "es-score" / "bulk-00000.ndjson").read_text().splitlines()[1::2]]
    for query in vectors(seed=9, n_rows=9)[:4]:
        expected = exact_top(index, query)
        es = elasticsearch_query(query, vocab=index.vocab)["query"]["sparse_vector"]["query_vector"]
        os_tokens = opensearch_query(query, vocab=index.vocab)["query"]["neural_sparse"]["tokens"]["query_tokens"]
        should = rank_feature_query(query, vocab=index.vocab)["query"]["bool"]["should"]
        rank = {c["rank_feature"]["field"].split(".", 1)[1]: c["rank_feature"]["boost"] for c in should}
        assert es == os_tokens == rank
        got = dot_product_top(sources, es)
        assert [i for i, _ in got] == [i for i, _ in expected]
        np.testing.assert_allclose([s for _, s in got], [s for _, s in expected], rtol=1e-5)


def test_a_negative_weight_is_refused_for_search_engines_and_nothing_is_left(tmp_path):
    from splade_search.indexes import build_index

    matrix = vectors()
    matrix.data[0] = -0.5
    token = f"t{matrix.indices[0]}"
    index = build_index(tmp_path / "neg", [(doc_ids(), matrix)], [f"t{i}" for i in range(matrix.shape[1])], show_progress=False)
    with pytest.raises(InputError, match=r"document 'doc 0\.é' has the weight -0\.5.*--to jsonl"):
        export_index(index, "opensearch", tmp_path / "os", show_progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["neg"]
    export_index(index, "jsonl", tmp_path / "neg.jsonl", show_progress=False)
    assert read_jsonl(tmp_path / "neg.jsonl")[0]["vector"][token] == -0.5


@pytest.mark.parametrize("field", ["", "a.b", "_x", "title", "id"])
def test_a_vector_field_name_engines_refuse_is_refused(built, field):
    folder, index, _ = built
    with pytest.raises(InputError, match="vector field name"):
        export_index(index, "elasticsearch", folder / f"bad-field-{len(field)}", field=field, show_progress=False)
    assert not (folder / f"bad-field-{len(field)}").exists()


@pytest.mark.parametrize(("to", "name", "module"), [("jsonl", "old.jsonl", "jsonl"), ("parquet", "old.parquet", "parquet"), ("opensearch", "old-os", "bulk")])
def test_an_export_that_fails_midway_leaves_the_old_output_untouched(built, tmp_path, monkeypatch, to, name, module):
    import importlib

    _, index, _ = built
    out = tmp_path / name
    export_index(index, to, out, show_progress=False)
    before = out.read_bytes() if out.is_file() else sorted((p.name, p.read_bytes()) for p in out.iterdir())
    writer = importlib.import_module(f"splade_search.exports.{module}")
    real = writer.record_batches

    def failing(*args, **kwargs):
        batches = real(*args, **kwargs)
        yield next(batches)
        raise OSError("disk full")

    monkeypatch.setattr(writer, "record_batches", failing)
    with pytest.raises(OSError, match="disk full"):
        export_index(index, to, out, force=True, show_progress=False, batch_rows=10)
    after = out.read_bytes() if out.is_file() else sorted((p.name, p.read_bytes()) for p in out.iterdir())
    assert after == before and [p.name for p in tmp_path.iterdir()] == [name]
