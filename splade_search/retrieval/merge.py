"""``merge``: assemble the shards of a sharded encoding (see `sharding`) into one index.

The shards must be the ``N`` shards of one corpus (each ``i`` of ``1 .. N`` exactly once, the same
corpus fingerprint) encoded by one model (the same weights fingerprint) with the same settings
(length, active dimensions, projection, passages, the merged index's quantization and storage) and
vocabulary; anything else is refused before a byte is written. The merged index numbers documents
in corpus order, as a single-process build of the corpus does, and records the metadata such a
build records: the same index, array for array, when the shards' vectors are the ones a single
build computes (a document encoded in a batch of other documents may differ in a weight's last bits,
as with another batch size; with batch size 1 the vectors are always the same).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import IndexFormatError, IndexMismatchError, InputError
from ..indexes import CsrIndex, SparseIndex
from ..indexes.csr.merge import merge_csr
from ..indexes.generations import check_writable
from .locations import check_same_corpus
from .model_record import FINGERPRINT_KEY
from .sharding import RULE, SHARD_KEY, ShardSpec

SETTINGS = ("backend", "max_length", "max_active_dims", "projection_dtype", "passages", "similarity")
"""Metadata every shard must share (besides the model fingerprint): they shape the vectors or the rows."""
_TARGETS = ("quantization", "storage")  # of the shard record: what the merged index will be


@dataclass(frozen=True)
class Shard:
    """One opened shard and its record."""

    path: Path
    index: CsrIndex
    spec: ShardSpec
    record: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.path} (shard {self.spec})"


def merge_shards(
    out: str | os.PathLike[str],
    shards: Sequence[str | os.PathLike[str]],
    *,
    force: bool = False,
    verify: bool = True,
    lock_timeout: float = 0.0,
    show_progress: bool = True,
) -> CsrIndex:
    """Merge the shard indexes at ``shards`` (any order) into the index at ``out``; returns it opened.

    ``out`` is written as a new generation (an index there stays live until the merge is complete;
    one of another corpus, or a folder that is not an index, only with ``force``). ``verify`` checks
    the shards' checksums. Raises `InputError` for a missing, repeated or foreign shard and
    `IndexMismatchError` for shards of different corpora, models or settings.
    """
    target = Path(out)
    paths = [Path(path) for path in shards]
    if not paths:
        raise InputError("give the folders of the shards to merge")
    clash = next((path for path in paths if path.resolve() == target.resolve()), None)
    if clash is not None:
        raise InputError(f"the output {target} is one of the shards; merge into another folder")
    check_writable(target, force, verify=False)
    ordered = check_shards([open_shard(path, verify) for path in paths])
    first = ordered[0]
    check_same_corpus(target, first.index.metadata.get("corpus"), force)
    metadata = {key: value for key, value in first.index.metadata.items() if key != SHARD_KEY}
    return merge_csr(
        target,
        [shard.index for shard in ordered],
        corpus_order(ordered),
        metadata=metadata,
        quantization=first.record["quantization"],
        storage=first.record["storage"],
        force=force,
        lock_timeout=lock_timeout,
        show_progress=show_progress,
    )


def open_shard(path: Path, verify: bool = True) -> Shard:
    """Open the shard at ``path``; `InputError` when it is an index but not a csr shard."""
    index = SparseIndex.open(path, verify=verify)
    if not isinstance(index, CsrIndex):
        raise InputError(f"{path} is a {index.backend} index; merge assembles csr shards built by `index --shard i/N`")
    record = index.metadata.get(SHARD_KEY)
    if record is None:
        raise InputError(f"{path} is not a shard (it was built without --shard i/N); merge takes the shards of one corpus")
    where = f"{index.folder}/manifest.json: metadata 'shard'"
    if not isinstance(record, dict):
        raise IndexFormatError(f"{where} must be an object; rebuild the shard")
    for key, kind in (("index", int), ("count", int), ("rule", str), ("corpus", dict), *((key, str) for key in _TARGETS)):
        if not isinstance(record.get(key), kind) or isinstance(record.get(key), bool):
            raise IndexFormatError(f"{where} lacks a valid {key!r}; rebuild the shard")
    try:
        spec = ShardSpec(record["index"], record["count"])
    except InputError as exc:
        raise IndexFormatError(f"{where}: {exc}; rebuild the shard") from None
    return Shard(path, index, spec, record)


def check_shards(shards: list[Shard]) -> list[Shard]:
    """The shards in shard order, after checking that they are all the shards of one corpus, model and settings."""
    first = shards[0]
    for shard in shards[1:]:
        if shard.spec.count != first.spec.count or shard.record["rule"] != first.record["rule"]:
            raise InputError(f"{shard} and {first} come from different shardings; merge the N shards of one run")
    if first.record["rule"] != RULE:
        raise InputError(f"{first} was cut by the rule {first.record['rule']!r}, which this version cannot merge")
    by_number: dict[int, Shard] = {}
    for shard in shards:
        if shard.spec.index in by_number:
            raise InputError(f"shard {shard.spec} is given twice: {by_number[shard.spec.index].path} and {shard.path}")
        by_number[shard.spec.index] = shard
    missing = [number for number in range(1, first.spec.count + 1) if number not in by_number]
    if missing:
        absent = ", ".join(f"{number}/{first.spec.count}" for number in missing)
        raise InputError(f"shard {absent} is missing; merge needs all {first.spec.count} shards of the run")
    ordered = [by_number[number] for number in range(1, first.spec.count + 1)]
    for shard in ordered[1:]:
        _check_compatible(ordered[0], shard)
    for shard in ordered:
        _check_size(shard)
    return ordered


def corpus_order(shards: list[Shard]) -> list[np.ndarray]:
    """The merged document number of each shard's documents: their position in the corpus (see `sharding.RULE`)."""
    count = shards[0].spec.count
    return [np.arange(len(s.index.document_ids), dtype=np.int64) * count + s.spec.index - 1 for s in shards]


def _check_compatible(first: Shard, shard: Shard) -> None:
    """Refuse a shard of another corpus, model, settings or vocabulary than ``first``."""
    if shard.record["corpus"] != first.record["corpus"]:
        raise IndexMismatchError(
            f"{shard} and {first} were cut from different corpora (their fingerprints differ: "
            f"{_corpus(shard)} vs {_corpus(first)}); encode every shard from the same corpus"
        )
    mine, theirs = shard.index.metadata, first.index.metadata
    if mine.get(FINGERPRINT_KEY) != theirs.get(FINGERPRINT_KEY):
        raise IndexMismatchError(
            f"{shard} was encoded by another model than {first} (model {mine.get('model')!r} vs "
            f"{theirs.get('model')!r}, weights fingerprints differ); encode every shard with the same model"
        )
    pairs = [(key, mine.get(key), theirs.get(key)) for key in SETTINGS]
    pairs += [(key, shard.record[key], first.record[key]) for key in _TARGETS]
    for key, value, expected in pairs:
        if value != expected:
            raise IndexMismatchError(
                f"{shard} was built with {key} {value!r}, {first} with {expected!r}; build every shard with the same options"
            )
    if shard.index.vocab != first.index.vocab:
        raise IndexMismatchError(f"{shard} and {first} have different vocabularies; encode every shard with the same model")
    for kept in ("has_documents", "has_model"):
        if bool(shard.index.manifest.get(kept)) != bool(first.index.manifest.get(kept)):
            raise IndexMismatchError(f"{shard} and {first} differ in {kept!r}; rebuild the shards with one version")


def _check_size(shard: Shard) -> None:
    """Refuse a shard that does not hold the documents the rule gives it of its corpus."""
    total = shard.record["corpus"].get("documents")
    if not isinstance(total, int) or isinstance(total, bool):
        raise IndexFormatError(f"{shard.index.folder}/manifest.json: metadata 'shard' records no corpus size; rebuild it")
    expected, held = shard.spec.size(total), len(shard.index.document_ids)
    if held != expected:
        raise IndexFormatError(
            f"{shard} holds {held} documents, but shard {shard.spec} of a corpus of {total} holds {expected}; rebuild it"
        )


def _corpus(shard: Shard) -> str:
    record = shard.record["corpus"]
    return f"{record.get('documents')} documents, digest {str(record.get('digest'))[:12]}"
