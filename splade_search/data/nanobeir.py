"""NanoBEIR: 13 small BEIR subsets (50 queries, a few thousand documents each), from the hub or a local folder.

Hub layouts:

- ``"sentence-transformers/NanoBEIR-en"`` (and its translations, any other repo id): one dataset
  with configurations ``corpus``, ``queries`` and ``qrels``, each holding one split per subset
  named ``Nano<Name>`` (e.g. ``NanoSciFact``);
- ``"zeta-alpha-ai"``: one dataset per subset, ``zeta-alpha-ai/Nano<Name>``, with the same three
  configurations and a single ``train`` split.

Columns are ``_id``/``text`` (corpus, queries) and ``query-id``/``corpus-id`` (qrels; relevance 1
unless a ``score`` column says otherwise). Empty documents and queries are dropped with a warning.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..errors import DataFormatError, InputError
from ._io import PathLike
from .beir import BeirData, beir_splits, load_beir
from .corpus import read_rows
from .documents import id_value
from .hub import load_hub_dataset
from .trec import Qrels

NANOBEIR_DATASETS: dict[str, str] = {
    "climatefever": "ClimateFEVER",
    "dbpedia": "DBPedia",
    "fever": "FEVER",
    "fiqa2018": "FiQA2018",
    "hotpotqa": "HotpotQA",
    "msmarco": "MSMARCO",
    "nfcorpus": "NFCorpus",
    "nq": "NQ",
    "quoraretrieval": "QuoraRetrieval",
    "scidocs": "SCIDOCS",
    "arguana": "ArguAna",
    "scifact": "SciFact",
    "touche2020": "Touche2020",
}
DEFAULT_SOURCE = "sentence-transformers/NanoBEIR-en"
ZETA_ALPHA_SOURCE = "zeta-alpha-ai"


def nanobeir_name(name: str) -> str:
    """The short name (``"scifact"``) of a NanoBEIR subset given as ``scifact``, ``SciFact`` or ``NanoSciFact``."""
    key = name.strip().lower()
    key = key.removeprefix("nano") if key.removeprefix("nano") in NANOBEIR_DATASETS else key
    if key not in NANOBEIR_DATASETS:
        raise InputError(f"unknown NanoBEIR dataset {name!r}; valid names: {', '.join(NANOBEIR_DATASETS)}")
    return key


def load_nanobeir(name: str, source: str = DEFAULT_SOURCE, local_dir: PathLike | None = None) -> BeirData:
    """Load NanoBEIR subset ``name`` from ``local_dir`` when given, else from the hub ``source``.

    ``local_dir`` holds BEIR folders named ``Nano<Name>``, ``<shortname>`` or ``<Name>``; the
    ``test`` judgements are used, or the only split there is.
    """
    short = nanobeir_name(name)
    human = NANOBEIR_DATASETS[short]
    if local_dir is not None:
        return _load_local(Path(local_dir), short, human)
    repo, split = _hub_location(source, human)
    hint = f"Without the hub, pass local_dir= a folder holding Nano{human}/ in BEIR layout ({short}/ also works)."
    corpus_rows, query_rows, qrels_rows = (
        load_hub_dataset(repo, config, split, local_hint=hint) for config in ("corpus", "queries", "qrels")
    )
    corpus = read_rows(corpus_rows, f"{repo} (corpus, {split})")
    queries = {query.id: query.text for query in read_rows(query_rows, f"{repo} (queries, {split})", title_field=None)}
    qrels = qrels_from_rows(qrels_rows, f"{repo} (qrels, {split})")
    return BeirData.from_parts(corpus, queries, qrels, name=f"Nano{human}", split=split)


def qrels_from_rows(rows: Iterable[Mapping[str, Any]], name: str) -> Qrels:
    """Judgements from rows with ``query-id``, ``corpus-id`` (one id or a list) and optional integer ``score``."""
    qrels: Qrels = {}
    for number, row in enumerate(rows, start=1):
        where = f"{name}, row {number}"
        query_id = id_value(row.get("query-id"), where, "query-id")
        doc_ids = row.get("corpus-id")
        relevance = _relevance(row.get("score", 1), where)
        for doc_id in doc_ids if isinstance(doc_ids, list) else [doc_ids]:
            qrels.setdefault(query_id, {})[id_value(doc_id, where, "corpus-id")] = relevance
    return qrels


def _hub_location(source: str, human: str) -> tuple[str, str]:
    """The hub repo and split that hold subset ``Nano<human>`` in ``source``'s layout."""
    if source == ZETA_ALPHA_SOURCE or source.startswith(ZETA_ALPHA_SOURCE + "/"):
        return f"{ZETA_ALPHA_SOURCE}/Nano{human}", "train"
    return source, f"Nano{human}"


def _relevance(value: Any, where: str) -> int:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise DataFormatError(f"{where}: field 'score' must be an integer relevance, got {value!r}")
    return value


def _load_local(local_dir: Path, short: str, human: str) -> BeirData:
    candidates = [local_dir / f"Nano{human}", local_dir / short, local_dir / human]
    folder = next((path for path in candidates if path.is_dir()), None)
    if folder is None:
        tried = ", ".join(str(path) for path in candidates)
        raise InputError(f"NanoBEIR {human} not found under {local_dir}: tried {tried}")
    splits = beir_splits(folder)
    split = "test" if "test" in splits or len(splits) != 1 else splits[0]
    data = load_beir(folder, split)
    data.name = f"Nano{human}"
    return data
