"""Sharded encoding: which documents of a corpus shard ``i`` of ``N`` encodes, and what the shard records.

Rule (`RULE`): the document at position ``k`` (0-based) of the corpus's read order goes to shard
``k mod N + 1`` (shards count from 1, as ``--shard 1/4`` ... ``--shard 4/4``). Corpus readers are
deterministic (files in sorted path order, records in file order), so every machine that reads the
same corpus assigns every document to the same shard without talking to the others; a document's
passages stay with it. Every shard reads the whole corpus and fingerprints all of it (count and a
digest of every document's id, title, text and metadata, in order), so `merge` can refuse shards
cut from different corpora, and restore the corpus order: a merged index numbers its documents
exactly as a single-process build does.

A shard is a normal csr index whose metadata holds ``"shard"``: ``index``, ``count``, ``rule``,
``corpus`` (the fingerprint) and the ``quantization`` and ``storage`` the merged index will have
(a shard keeps float32 weights in plain storage, so that the merge quantizes with the scale of the
whole corpus, as a single build does).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ..data.documents import Document
from ..errors import InputError

SHARD_KEY = "shard"
RULE = "round-robin: document k (0-based, corpus read order) -> shard k mod N + 1"
_SPEC = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


@dataclass(frozen=True)
class ShardSpec:
    """Shard ``index`` (1-based) of ``count``."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if not 1 <= self.index <= self.count:
            raise InputError(f"shard {self.index}/{self.count}: expected i/N with 1 <= i <= N, e.g. 3/8")

    @classmethod
    def parse(cls, text: str) -> ShardSpec:
        """``"i/N"`` as a spec; `InputError` for anything else."""
        match = _SPEC.fullmatch(str(text))
        if match is None:
            raise InputError(f"expected i/N with 1 <= i <= N (e.g. 3/8), got {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def size(self, total: int) -> int:
        """How many of ``total`` documents this shard holds."""
        return len(range(self.index - 1, total, self.count))

    def owns(self, position: int) -> bool:
        """Whether the document at ``position`` (0-based, read order) belongs to this shard."""
        return position % self.count == self.index - 1


class ShardSelection:
    """The documents of one shard, out of a corpus stream that is read (and fingerprinted) whole."""

    def __init__(self, documents: Iterable[Document], spec: ShardSpec) -> None:
        self.spec = spec
        self._documents = documents
        self._digest = hashlib.blake2b(digest_size=16)
        self._seen = 0
        self._finished = False

    def __iter__(self) -> Iterator[Document]:
        self._digest, self._seen, self._finished = hashlib.blake2b(digest_size=16), 0, False
        for position, document in enumerate(self._documents):
            self._digest.update(_document_bytes(document))
            self._seen = position + 1
            if self.spec.owns(position):
                yield document
        self._finished = True

    def fingerprint(self) -> dict[str, Any]:
        """The corpus's document count and digest (after the whole stream has been read)."""
        if not self._finished:
            raise RuntimeError("the corpus fingerprint is known once the whole corpus has been read")
        return {"documents": self._seen, "digest": self._digest.hexdigest()}

    def check_not_empty(self) -> None:
        """Refuse a shard without documents (a corpus of fewer documents than shards)."""
        if self._finished and self._seen and self.spec.size(self._seen) == 0:
            raise InputError(
                f"--shard {self.spec}: the corpus has {self._seen} documents, so shard {self.spec.index} gets none; "
                f"use at most {self._seen} shards"
            )


def plan_shard(
    spec: ShardSpec, documents: Iterable[Document], backend: str, backend_options: dict[str, Any]
) -> tuple[ShardSelection, dict[str, Any], dict[str, Any]]:
    """The selection of shard ``spec`` from ``documents``, the shard record known before reading (a resumed run
    must match it), and the options the shard itself is built with (float32 weights, plain storage)."""
    from ..indexes.csr.compact import parse_storage
    from ..indexes.csr.quantization import parse_mode

    if backend != "csr":
        raise InputError(f"--shard builds csr shards for `splade-search merge`; the {backend} backend cannot be merged")
    options = dict(backend_options)
    quantization, storage = parse_mode(options.pop("quantization", None)), parse_storage(options.pop("storage", None))
    record = {"index": spec.index, "count": spec.count, "rule": RULE, "quantization": quantization, "storage": storage}
    return ShardSelection(documents, spec), record, options


def _document_bytes(document: Document) -> bytes:
    record = [document.id, document.title, document.text, dict(document.metadata)]
    return json.dumps(record, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8") + b"\n"
