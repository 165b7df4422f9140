"""BEIR benchmark folders: ``corpus.jsonl``, ``queries.jsonl`` and ``qrels/<split>.tsv``.

The ``.jsonl`` files may be gzip-compressed (``.jsonl.gz``). Loading keeps only the queries judged
in the chosen split. Judgements that name an unknown query are dropped, those naming an unknown
document are kept (they still count as relevant, as in BEIR); both are counted in
:attr:`BeirData.stats`, described in :attr:`BeirData.problems` and warned about (:class:`DataWarning`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DataFormatError, InputError
from ._io import PathLike
from .corpus import beir_corpus_file, read_corpus
from .documents import Document
from .problems import OnProblem, warn_data
from .trec import Qrels, read_qrels

LAYOUT = "a BEIR folder holds corpus.jsonl, queries.jsonl (either may be .jsonl.gz) and qrels/<split>.tsv"
_EXAMPLES = 5


@dataclass
class BeirData:
    """A retrieval benchmark: the corpus, the queries judged in one split, and their judgements."""

    corpus: dict[str, Document]
    queries: dict[str, str]
    qrels: Qrels
    name: str = ""
    split: str = "test"
    problems: list[str] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_parts(
        cls,
        corpus: Iterable[Document],
        queries: Mapping[str, str],
        qrels: Mapping[str, Mapping[str, int]],
        *,
        name: str = "",
        split: str = "test",
    ) -> BeirData:
        """Assemble a benchmark, keeping the judged queries and reporting judgements that name unknown ids.

        Raises :class:`DataFormatError` when no judged query has a text.
        """
        label = f"{name} {split}".strip()
        documents = {document.id: document for document in corpus}
        kept = {query_id: dict(judged) for query_id, judged in qrels.items() if query_id in queries}
        if not kept:
            raise DataFormatError(f"{label}: none of the {len(qrels)} judged queries has a text in the queries")
        unknown_queries = sorted(set(qrels) - set(kept))
        unknown_docs = [doc_id for judged in kept.values() for doc_id in judged if doc_id not in documents]
        stats = {
            "documents": len(documents),
            "queries": len(kept),
            "judgements": sum(len(judged) for judged in kept.values()),
            "judgements_unknown_query": sum(len(qrels[query_id]) for query_id in unknown_queries),
            "judgements_unknown_doc": len(unknown_docs),
        }
        problems = []
        if unknown_queries:
            problems.append(
                f"{label}: {stats['judgements_unknown_query']} judgement(s) name {len(unknown_queries)} query id(s) "
                f"missing from the queries ({_examples(unknown_queries)}); dropped"
            )
        if unknown_docs:
            missing = sorted(set(unknown_docs))
            problems.append(
                f"{label}: {len(unknown_docs)} judgement(s) name {len(missing)} doc id(s) missing from the corpus "
                f"({_examples(missing)}); kept, they can never be retrieved"
            )
        for problem in problems:
            warn_data(problem)
        judged_queries = {query_id: text for query_id, text in queries.items() if query_id in kept}
        return cls(documents, judged_queries, kept, name=name, split=split, problems=problems, stats=stats)

    def __repr__(self) -> str:
        return (
            f"BeirData(name={self.name!r}, split={self.split!r}, documents={len(self.corpus)}, "
            f"queries={len(self.queries)}, problems={len(self.problems)})"
        )


def load_beir(folder: PathLike, split: str = "test", *, on_empty: OnProblem = "warn") -> BeirData:
    """Load the BEIR folder ``folder`` with the judgements of ``split`` (see the module docstring).

    A missing file raises :class:`DataFormatError` naming it; an unknown split lists those available.
    """
    root = Path(folder)
    if not root.is_dir():
        raise InputError(f"{folder}: no such folder ({LAYOUT})")
    qrels_file = qrels_path(root, split)
    corpus_file = beir_corpus_file(root)
    if corpus_file is None:
        raise DataFormatError(f"{root}: missing corpus.jsonl; {LAYOUT}")
    queries_file = _queries_path(root)
    qrels = read_qrels(qrels_file)
    queries = read_queries(queries_file, on_empty=on_empty)
    corpus = read_corpus(corpus_file, kind="jsonl", on_empty=on_empty)
    return BeirData.from_parts(corpus, queries, qrels, name=root.name, split=split)


def read_queries(path: PathLike, *, on_empty: OnProblem = "warn", on_decode_error: OnProblem = "warn") -> dict[str, str]:
    """Read a queries JSONL file (``_id``, ``text``) as query id -> text; empty queries are handled per ``on_empty``,
    lines that are not UTF-8 per ``on_decode_error``."""
    records = read_corpus(path, kind="jsonl", title_field=None, on_empty=on_empty, on_decode_error=on_decode_error)
    return {query.id: query.text for query in records}


def beir_splits(folder: PathLike) -> list[str]:
    """The splits with judgements in a BEIR folder (the names of ``qrels/*.tsv``), sorted."""
    qrels_dir = Path(folder) / "qrels"
    return sorted(path.name.removesuffix(".tsv") for path in qrels_dir.glob("*.tsv")) if qrels_dir.is_dir() else []


def qrels_path(folder: PathLike, split: str) -> Path:
    """The judgements file of ``split`` in a BEIR folder; a missing one raises :class:`DataFormatError`."""
    path = Path(folder) / "qrels" / f"{split}.tsv"
    if path.is_file():
        return path
    available = beir_splits(folder)
    if not available:
        raise DataFormatError(f"{folder}: missing qrels/{split}.tsv and no other qrels/*.tsv; {LAYOUT}")
    raise DataFormatError(
        f"{folder}: no split {split!r} (no qrels/{split}.tsv); available splits: {', '.join(available)}"
    )


def _queries_path(folder: Path) -> Path:
    for name in ("queries.jsonl", "queries.jsonl.gz"):
        if (folder / name).is_file():
            return folder / name
    raise DataFormatError(f"{folder}: missing queries.jsonl; {LAYOUT}")


def _examples(ids: list[str]) -> str:
    shown = ", ".join(repr(value) for value in ids[:_EXAMPLES])
    return shown + (", ..." if len(ids) > _EXAMPLES else "")
