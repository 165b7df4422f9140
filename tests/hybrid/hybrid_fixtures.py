"""A small corpus for the hybrid tests (the tiny dense and cross-encoder folders are fixtures of tests/conftest.py)."""

from __future__ import annotations

from splade_search.data import Document

DOCS = [
    Document("d1", "Diabetes", "insulin and blood sugar in patients with diabetes"),
    Document("d2", "Pets", "the cat and the dog"),
    Document("d3", "", "heart disease risk increase"),
    Document("d4", "Weather", "rain and sun in the city"),
    Document("d5", "Cells", "cancer cells and genes"),
]
