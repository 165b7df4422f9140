"""The HTTP API: search, encode, health and stats answer as documented; bad requests get 4xx JSON naming the field."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from serve_helpers import SCRIPT, Echo

from splade_search.serve import create_app
from splade_search.serve.requests import MAX_BODY_BYTES, MAX_K, MAX_QUERY_CHARS


def test_search_post_and_get_give_the_retrievers_hits(client, retriever) -> None:
    want = retriever.search("diabetes insulin", k=5)
    posted = client.post("/search", json={"q": "diabetes insulin", "k": 5})
    got = client.get("/search", params={"q": "diabetes insulin", "k": 5})
    assert posted.status_code == got.status_code == 200
    for body in (posted.json(), got.json()):
        assert [h["id"] for h in body["hits"]] == [h.id for h in want]
        assert [h["score"] for h in body["hits"]] == pytest.approx([h.score for h in want], rel=1e-6)
        assert body["k"] == 5 and body["mode"] == "exact" and body["generation"] == "gen-000001"
        assert "terms" in body["hits"][0] and body["hits"][0]["terms"] == []


def test_explain_gives_terms_and_a_snippet_highlighting_them(client) -> None:
    hits = client.post("/search", json={"q": "diabetes insulin", "k": 3, "explain": True}).json()["hits"]
    first = next(h for h in hits if h["id"] == "d0")
    tokens = {t["token"] for t in first["terms"]}
    assert {"diabetes", "insulin"} & tokens
    for term in first["terms"]:
        assert term["contribution"] == pytest.approx(term["query_weight"] * term["doc_weight"], rel=1e-4)
    snippet = first["snippet"]
    marked = {snippet["text"][s:e].lower() for s, e in snippet["highlights"]}
    assert marked and marked <= tokens
    assert SCRIPT in first["text"]  # stored as given; the page escapes it (see test_page)


def test_search_modes_per_request(client) -> None:
    exact = client.post("/search", json={"q": "heart disease risk", "k": 5}).json()
    pruned = client.post("/search", json={"q": "heart disease risk", "k": 5, "mode": "pruned", "knobs": {"max_scored": 1}}).json()
    approx = client.get("/search", params=[("q", "heart disease risk"), ("k", "5"), ("mode", "approximate"), ("knob", "budget=1")])
    assert pruned["mode"] == "pruned" and [h["id"] for h in pruned["hits"]] == [h["id"] for h in exact["hits"]]
    assert approx.status_code == 200 and approx.json()["mode"] == "approximate"


BAD_POSTS = [
    ({"q": ""}, "q"),
    ({"q": "   "}, "q"),
    ({"q": "x" * (MAX_QUERY_CHARS + 1)}, "q"),
    ({}, "q"),
    ({"q": 5}, "q"),
    ({"q": "cat", "k": 0}, "k"),
    ({"q": "cat", "k": -3}, "k"),
    ({"q": "cat", "k": MAX_K + 1}, "k"),
    ({"q": "cat", "k": True}, "k"),
    ({"q": "cat", "k": 2.5}, "k"),
    ({"q": "cat", "k": "many"}, "k"),
    ({"q": "cat", "limit": 3}, "limit"),
    ({"q": "cat", "mode": "fast"}, "mode"),
    ({"q": "cat", "knobs": {"budget": 0.1}}, "knobs"),
    ({"q": "cat", "mode": "pruned", "knobs": {"max_scored": 7}}, "knobs"),
    ({"q": "cat", "mode": "approximate", "knobs": {"nope": 1}}, "knobs"),
    ({"q": "cat", "explain": "sometimes"}, "explain"),
]


@pytest.mark.parametrize("body, field", BAD_POSTS)
def test_bad_search_bodies_get_422_naming_the_field(client, body, field) -> None:
    response = client.post("/search", json=body)
    assert response.status_code == 422, response.text
    error = response.json()
    assert error["field"] == field and error["error"].startswith(f"{field}: ")
    assert "Traceback" not in response.text


@pytest.mark.parametrize(
    "params, field",
    [
        ({"k": "3"}, "q"),
        ({"q": ""}, "q"),
        ({"q": "cat", "k": "0"}, "k"),
        ({"q": "cat", "k": "ten"}, "k"),
        ({"q": "cat", "size": "3"}, "size"),
        ({"q": "cat", "knob": "budget"}, "knob"),
        ({"q": "cat", "mode": "approximate", "knob": "budget=lots"}, "knob"),
        ({"q": "cat", "mode": "quick"}, "mode"),
    ],
)
def test_bad_search_parameters_get_422_naming_the_field(client, params, field) -> None:
    response = client.get("/search", params=params)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field


@pytest.mark.parametrize("content", [b"{not json", b'{"q": "cat",}', b"\xff\xfe", b'"cat"', b"[1, 2]"])
def test_malformed_bodies_get_400_or_422_json(client, content) -> None:
    response = client.post("/search", content=content, headers={"Content-Type": "application/json"})
    assert response.status_code in (400, 422), response.text
    assert response.json()["error"] and "Traceback" not in response.text


def test_malformed_json_is_400(client) -> None:
    response = client.post("/search", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and "not valid JSON" in response.json()["error"]


def test_a_huge_body_is_refused_with_413(client) -> None:
    response = client.post("/search", content=b'{"q": "' + b"a" * MAX_BODY_BYTES + b'"}', headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and "larger than" in response.json()["error"]


def test_unknown_routes_and_methods_are_json(client) -> None:
    assert client.get("/nope").status_code == 404 and client.get("/nope").json()["error"]
    assert client.delete("/search").status_code == 405 and client.delete("/search").json()["error"]


def test_encode_gives_token_weights(client) -> None:
    body = client.post("/encode", json={"texts": ["diabetes insulin", "the cat"], "top": 5}).json()
    assert body["kind"] == "query" and len(body["vectors"]) == 2
    for vector in body["vectors"]:
        weights = list(vector["terms"].values())
        assert 0 < vector["nonzero"] <= 5 and weights == sorted(weights, reverse=True) and min(weights) > 0
    document = client.post("/encode", json={"texts": ["diabetes insulin"], "kind": "document"})
    assert document.status_code == 200 and document.json()["kind"] == "document"


@pytest.mark.parametrize(
    "body, field",
    [({"texts": []}, "texts"), ({"texts": [""]}, "texts"), ({"texts": ["a"] * 65}, "texts"), ({"texts": ["a"], "kind": "x"}, "kind"), ({"texts": ["a"], "top": 0}, "top")],
)
def test_bad_encode_bodies_get_422(client, body, field) -> None:
    response = client.post("/encode", json=body)
    assert response.status_code == 422 and response.json()["field"] == field


def test_health_and_stats(client, index_path) -> None:
    assert client.get("/health").json() == {"status": "ok", "retriever": "sparse", "generation": "gen-000001"}
    for _ in range(3):
        client.get("/search", params={"q": "cat"})
    client.get("/search", params={"q": ""})
    stats = client.get("/stats").json()
    assert stats["retriever"]["index"]["documents"] == 40 and stats["retriever"]["index"]["path"] == str(index_path)
    assert stats["retriever"]["index"]["bytes_on_disk"] > 0 and stats["retriever"]["model"]
    search = stats["requests"]["/search"]
    assert search["count"] == 4 and search["client_errors"] == 1 and search["server_errors"] == 0
    assert 0 < search["latency_ms"]["p50"] <= search["latency_ms"]["p99"] <= search["latency_ms"]["max"]
    assert stats["uptime_s"] > 0 and stats["batching"]["queries"] == 3


def test_openapi_docs_describe_the_endpoints(client) -> None:
    schema = client.get("/openapi.json").json()
    assert {"/search", "/encode", "/health", "/stats"} <= set(schema["paths"])
    assert client.get("/docs").status_code == 200


def test_any_retriever_can_be_served() -> None:
    with TestClient(create_app(Echo())) as client:
        hits = client.get("/search", params={"q": "a b c", "k": 2}).json()["hits"]
        assert [h["id"] for h in hits] == ["a", "b"]
        explain = client.post("/search", json={"q": "a", "explain": True})
        assert explain.status_code == 422 and explain.json()["field"] == "explain"
        assert client.post("/search", json={"q": "a", "mode": "pruned"}).json()["field"] == "mode"
        assert client.post("/encode", json={"texts": ["a"]}).status_code == 501
        assert client.get("/stats").json()["retriever"] == {"name": "echo", "class": "Echo"}


def test_an_internal_error_is_a_500_without_details() -> None:
    with TestClient(create_app(Echo(fail_on="boom"), max_batch=1), raise_server_exceptions=False) as client:
        response = client.get("/search", params={"q": "boom"})
        assert response.status_code == 500
        assert response.json()["error"].startswith("internal error") and "secret" not in response.text
        assert client.get("/search", params={"q": "fine"}).status_code == 200
        assert client.get("/stats").json()["requests"]["/search"]["server_errors"] == 1


def test_responses_carry_security_headers(client) -> None:
    headers = client.get("/").headers
    assert "default-src 'self'" in headers["content-security-policy"] and headers["x-content-type-options"] == "nosniff"
