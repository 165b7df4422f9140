"""A tiny corpus for BM25 tests (titles, texts, an empty and a stop-word-only document)."""

from __future__ import annotations

from splade_search.data.documents import Document

CORPUS = [
    Document("d1", "Insulin and diabetes", "Insulin resistance causes type 2 diabetes in many patients."),
    Document("d2", "Heart disease", "High blood pressure increases the risk of heart disease."),
    Document("d3", "", "Diabetes patients' blood sugar levels rise; insulin lowers blood sugar."),
    Document("d4", "Apples", "An apple a day keeps the doctor away. Apples are fruit."),
    Document("d5", "It", "the and of it"),
    Document("d6", "Running", "Runners run; running runs faster than walking. The runner's shoes."),
    Document("d7", "", ""),
    Document("d8", "Cells", "Beta cells (β-cells) secrete insulin; IL-6 and TNF-α affect β-cells."),
]
QUERIES = ["insulin diabetes", "blood sugar insulin insulin", "running shoes", "β-cells IL-6", "heart apple"]
