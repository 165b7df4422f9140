"""JSON Lines: one object per row, ``{"id", ..., "vector": {token: weight}}``, the plain interchange format.

Tokens are written as they are in the vocabulary (JSON keys may hold any character; no escaping),
weights in the shortest decimal form that reads back as the same float32. The other keys are the
row's record (see `records`). A ``.gz`` file name writes gzip-compressed lines.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..data._io import atomic_write
from .records import json_rows, record_batches
from .tokens import check_unique_tokens

VECTOR_KEY = "vector"


def write_jsonl(index: Any, path: Path, *, batch_rows: int, advance: Callable[[int], None]) -> dict[str, Any]:
    """Write every row of ``index`` to ``path`` (replaced only once complete); returns the counts."""
    check_unique_tokens(index.vocab)
    keys = [json.dumps(token, ensure_ascii=False) for token in index.vocab]
    documents = postings = 0
    with atomic_write(path) as f:
        for batch in record_batches(index, batch_rows):
            f.writelines(f"{row}\n" for row in json_rows(batch, keys, VECTOR_KEY))
            documents += len(batch.records)
            postings += batch.vectors.nnz
            advance(len(batch.records))
    return {"documents": documents, "postings": postings}
