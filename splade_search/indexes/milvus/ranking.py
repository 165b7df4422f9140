"""Top-k by Milvus, re-ranked by the shared rule: score descending, then document number ascending.

Milvus orders equal scores its own way, so one more hit than asked is fetched, and the depth doubles
while the k-th and the next score are equal (up to the collection's size, or the 16,384 hits a
Milvus server ranks per query). Hits whose ids the index's snapshot does not know (rows another
writer added on a server since) are skipped the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ...errors import InputError
from ..topk import top_k
from .collection import ID, VECTOR

_EMPTY = (np.empty(0, np.int64), np.empty(0, np.float32))


class Ranking:
    """The top-k function of collection ``name``, restricted to the rows passing ``expression`` (empty: all)."""

    def __init__(self, client: Any, name: str, numbers: Mapping[str, int], max_depth: int, expression: str = "") -> None:
        self._client = client
        self._name = name
        self._numbers = numbers
        self._max_depth = max_depth
        self._expression = expression

    def where(self, expression: str) -> Ranking:
        """This ranking restricted further to the rows passing ``expression``."""
        both = f"({self._expression}) and ({expression})" if self._expression else expression
        return Ranking(self._client, self._name, self._numbers, self._max_depth, both)

    def __call__(self, terms: np.ndarray, weights: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Document numbers and scores of the best ``k`` rows for one query (terms, weights)."""
        if len(weights) and weights.min() < 0:
            raise InputError("the milvus backend scores non-negative query weights only; use the csr backend")
        query = {term: weight for term, weight in zip(terms.tolist(), weights.tolist(), strict=True) if weight > 0}
        if not query:
            return _EMPTY
        depth = min(k + 1, self._max_depth)
        while True:
            hits = self._search(query, depth)
            known = [(self._numbers.get(hit[ID]), hit["distance"]) for hit in hits]
            known = [(number, score) for number, score in known if number is not None and score != 0]
            numbers = np.array([number for number, _ in known], dtype=np.int64)
            scores = np.array([score for _, score in known], dtype=np.float32)
            deeper = len(hits) == depth < self._max_depth
            if not deeper or (len(scores) > k and scores[k] < scores[k - 1]):
                return top_k(numbers, scores, k)
            depth = min(depth * 2, self._max_depth)

    def _search(self, query: dict[int, float], depth: int) -> list[dict[str, Any]]:
        found = self._client.search(
            self._name,
            data=[query],
            anns_field=VECTOR,
            limit=depth,
            filter=self._expression,
            output_fields=[ID],
            search_params={"metric_type": "IP"},
        )
        return list(found[0]) if found else []
