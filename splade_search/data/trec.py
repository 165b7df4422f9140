"""TREC qrels and run files: read them into dicts, write dicts out (atomically).

Qrels map query id -> doc id -> graded relevance (int); runs map query id -> doc id -> score.
Ids cannot contain whitespace, since the formats separate fields by whitespace.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Literal

from ..errors import DataFormatError, InputError
from ._io import PathLike, atomic_write, decoded_lines

Qrels = dict[str, dict[str, int]]
Run = dict[str, dict[str, float]]
RankedHits = Mapping[str, float] | Iterable[tuple[str, float]]

BEIR_QRELS_HEADER = ("query-id", "corpus-id", "score")
_WHITESPACE = re.compile(r"\s")


def read_qrels(path: PathLike) -> Qrels:
    """Read judgements in TREC form (``qid iter docid rel``) or BEIR form (``query-id corpus-id score``).

    Fields are separated by tabs or spaces; a header line is allowed first. Relevance must be an
    integer. Repeating a judgement with the same grade is allowed, with another grade it raises
    :class:`DataFormatError` naming both lines, as does any malformed line.
    """
    qrels: Qrels = {}
    lines: dict[tuple[str, str], int] = {}
    first = True
    for number, line in decoded_lines(path):
        parts = line.split()
        if not parts:
            continue
        header_allowed, first = first, False
        where = f"{path}, line {number}"
        if len(parts) not in (3, 4):
            raise DataFormatError(
                f"{where}: expected 4 fields 'query-id iteration doc-id relevance' (TREC) "
                f"or 3 fields 'query-id corpus-id score' (BEIR), found {len(parts)}"
            )
        query_id, doc_id, grade = parts[0], parts[-2], parts[-1]
        if header_allowed and _is_header(parts):
            continue
        relevance = _parse_int(grade, where, "relevance")
        previous = qrels.setdefault(query_id, {}).setdefault(doc_id, relevance)
        if previous != relevance:
            raise DataFormatError(
                f"{where}: query {query_id!r} doc {doc_id!r} judged {relevance}, "
                f"but {previous} at line {lines[query_id, doc_id]}"
            )
        lines.setdefault((query_id, doc_id), number)
    if not qrels:
        raise DataFormatError(f"{path}: no relevance judgements found")
    return qrels


def write_qrels(
    path: PathLike, qrels: Mapping[str, Mapping[str, int]], *, style: Literal["trec", "beir"] = "trec"
) -> None:
    """Write ``qrels`` as TREC lines (``qid 0 docid rel``) or as a BEIR TSV with header (``style="beir"``)."""
    if style not in ("trec", "beir"):
        raise InputError(f"style must be 'trec' or 'beir', got {style!r}")
    with atomic_write(path) as f:
        if style == "beir":
            f.write("\t".join(BEIR_QRELS_HEADER) + "\n")
        for query_id, judged in qrels.items():
            for doc_id, relevance in judged.items():
                _check_ids(query_id, doc_id)
                if isinstance(relevance, bool) or not isinstance(relevance, int):
                    raise InputError(f"query {query_id!r} doc {doc_id!r}: relevance must be an int, got {relevance!r}")
                fields = (
                    (query_id, doc_id, str(relevance)) if style == "beir" else (query_id, "0", doc_id, str(relevance))
                )
                f.write(("\t" if style == "beir" else " ").join(fields) + "\n")


def read_run(path: PathLike) -> Run:
    """Read a TREC run (``qid Q0 docid rank score tag``) as query id -> doc id -> score.

    The rank column is ignored, as by trec_eval: order comes from the scores. A malformed line,
    a score that is not a finite number or a doc listed twice for a query raises
    :class:`DataFormatError` naming file and line.
    """
    run: Run = {}
    for number, line in decoded_lines(path):
        parts = line.split()
        if not parts:
            continue
        where = f"{path}, line {number}"
        if len(parts) != 6:
            raise DataFormatError(f"{where}: expected 6 fields 'query-id Q0 doc-id rank score tag', found {len(parts)}")
        query_id, _, doc_id, _, score_text, _ = parts
        score = _parse_score(score_text, where)
        hits = run.setdefault(query_id, {})
        if doc_id in hits:
            raise DataFormatError(f"{where}: doc {doc_id!r} is listed twice for query {query_id!r}")
        hits[doc_id] = score
    if not run:
        raise DataFormatError(f"{path}: the run has no results")
    return run


def write_run(path: PathLike, results: Mapping[str, RankedHits], *, tag: str = "splade-search") -> None:
    """Write ``results`` (query id -> doc id -> score, or -> ``(doc id, score)`` pairs) as a TREC run.

    Each query's hits are written by descending score (ties keep their given order), ranks start
    at 1, and scores are written exactly (``repr``), so reading the file back gives the same run.
    """
    _check_ids(tag)
    with atomic_write(path) as f:
        for query_id, hits in results.items():
            pairs = list(hits.items()) if isinstance(hits, Mapping) else list(hits)
            ranked = sorted(
                ((doc_id, _finite(score, query_id, doc_id)) for doc_id, score in pairs), key=lambda hit: -hit[1]
            )
            _check_ids(query_id)
            for rank, (doc_id, score) in enumerate(ranked, start=1):
                _check_ids(doc_id)
                f.write(f"{query_id} Q0 {doc_id} {rank} {score!r} {tag}\n")


def _is_header(parts: list[str]) -> bool:
    try:
        int(parts[-1])
    except ValueError:
        return True
    return False


def _parse_int(text: str, where: str, field: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise DataFormatError(f"{where}: {field} {text!r} is not an integer") from None


def _parse_score(text: str, where: str) -> float:
    try:
        score = float(text)
    except ValueError:
        raise DataFormatError(f"{where}: score {text!r} is not a number") from None
    if not math.isfinite(score):
        raise DataFormatError(f"{where}: score {text!r} is not finite")
    return score


def _finite(score: float, query_id: str, doc_id: str) -> float:
    value = float(score)
    if not math.isfinite(value):
        raise InputError(f"query {query_id!r} doc {doc_id!r}: score {score!r} is not finite")
    return value


def _check_ids(*ids: str) -> None:
    for value in ids:
        if not isinstance(value, str) or not value or _WHITESPACE.search(value):
            raise InputError(
                f"{value!r} cannot be written to a TREC file: ids and tags must be non-empty strings without whitespace"
            )
