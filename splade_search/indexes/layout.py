"""The files every index folder holds whatever its backend.

``manifest.json`` (format ``splade-search-index``: backend, counts, quantization, user metadata,
file checksums), ``doc_ids.txt`` (one id per line, in document-number order), ``vocab.json`` (the
token of each column id), when documents were given at build time a `DocStore` in ``docs/``, and
when the index keeps its own model (one that cannot be loaded again from where it came from, such
as a freshly initialised autoencoder) a sentence-transformers model folder in ``model/``, and when
documents carry metadata, their typed columns in ``fields/`` (see `fields`). Backend
files sit beside them; all are listed and checksummed in the same manifest. These files make up one
generation of an index (see `generations`).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..errors import InputError
from . import validation
from .docstore import DocStore
from .fields import FIELDS_FOLDER, FieldColumns
from .passage_map import PASSAGES_FOLDER, PassageMap
from .manifest import write_manifest
from .storage import MANIFEST_NAME, read_doc_ids, read_json, write_doc_ids, write_json

INDEX_FORMAT = "splade-search-index"
DENSE_INDEX_FORMAT = "splade-search-dense-index"  # dense vectors (see `splade_search.dense.index`)
INDEX_FORMATS = (INDEX_FORMAT, DENSE_INDEX_FORMAT)  # every format published as generations of an index root
DOC_IDS_FILE = "doc_ids.txt"
VOCAB_FILE = "vocab.json"
DOCS_FOLDER = "docs"
MODEL_FOLDER = "model"


def check_vocab(vocab: Sequence[str]) -> list[str]:
    """``vocab`` as a list of token strings, or `InputError`."""
    tokens = list(vocab)
    if not tokens:
        raise InputError("the vocabulary is empty; pass the token string of every column id")
    bad = next((t for t in tokens if not isinstance(t, str)), None)
    if bad is not None:
        raise InputError(f"vocabulary entries must be strings, got {type(bad).__name__} {bad!r}")
    return tokens


def check_metadata(metadata: dict[str, Any] | None) -> dict[str, Any]:
    """A copy of ``metadata`` if it is a JSON-serialisable dict, or `InputError`."""
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise InputError(f"metadata must be a dict, got {type(metadata).__name__}")
    try:
        return json.loads(json.dumps(metadata))
    except (TypeError, ValueError) as exc:
        raise InputError(f"metadata must be JSON-serialisable: {exc}") from exc


def write_index_files(
    folder: Path,
    *,
    backend: str,
    doc_ids: Sequence[str],
    vocab: Sequence[str],
    metadata: dict[str, Any],
    num_postings: int,
    quantization: dict[str, Any],
    backend_files: Iterable[str],
    documents: Iterable[tuple[str, str, str]] | None = None,
    show_progress: bool = False,
    model: Any = None,
    fields: FieldColumns | None = None,
    passages: PassageMap | None = None,
    **extra: Any,
) -> None:
    """Write ids, vocabulary, optional document store, model and metadata fields, and the manifest into ``folder``.

    ``model``: an object with ``save(path)`` (an encoder), or the path of a model folder to copy.
    ``fields``: stored metadata, one record per document (see `fields`). ``passages``: for an index
    whose rows are passages, the documents they come from (see `passage_map`); documents and fields
    are then per document.
    """
    write_doc_ids(folder / DOC_IDS_FILE, doc_ids)
    write_json(folder / VOCAB_FILE, list(vocab))
    document_ids = passages.document_ids if passages is not None else list(doc_ids)
    if passages is not None and len(passages.parents) != len(doc_ids):
        raise InputError(f"the passage map covers {len(passages.parents)} rows, the index has {len(doc_ids)}")
    if documents is not None:
        stored = DocStore.write(folder / DOCS_FOLDER, documents, show_progress)
        if len(stored) != len(document_ids) or stored.ids() != document_ids:
            raise InputError("stored documents must have the same ids, in the same order, as the indexed documents")
    model_files = _write_model(folder / MODEL_FOLDER, model) if model is not None else []
    field_files = []
    if fields is not None:
        if fields.num_docs != len(document_ids):
            raise InputError(f"metadata fields were given for {fields.num_docs} documents, the index has {len(document_ids)}")
        field_files = fields.write(folder / FIELDS_FOLDER)
    passage_files = passages.write(folder / PASSAGES_FOLDER) if passages is not None else []
    if passages is not None:
        extra["passages"] = {"num_documents": passages.num_documents, "settings": passages.settings}
    write_manifest(
        folder,
        INDEX_FORMAT,
        [DOC_IDS_FILE, VOCAB_FILE, *backend_files, *model_files, *field_files, *passage_files],
        backend=backend,
        num_docs=len(doc_ids),
        num_postings=int(num_postings),
        vocab_size=len(vocab),
        quantization=quantization,
        has_documents=documents is not None,
        has_model=model is not None,
        has_fields=fields is not None,
        metadata=metadata,
        **extra,
    )


def _write_model(target: Path, model: Any) -> list[str]:
    """Save (or hard-link a copy of) a model folder into ``target``; returns its files relative to the generation."""
    if isinstance(model, (str, os.PathLike)):
        source = Path(model)
        for path in sorted(source.rglob("*")):
            destination = target / path.relative_to(source)
            if path.is_dir():
                destination.mkdir(parents=True, exist_ok=True)
            elif path.is_file() and not path.is_symlink():
                destination.parent.mkdir(parents=True, exist_ok=True)
                _link_or_copy(path, destination)
    else:
        model.save(str(target))
    return [p.relative_to(target.parent).as_posix() for p in sorted(target.rglob("*")) if p.is_file()]


def _link_or_copy(source: Path, destination: Path) -> None:
    """Generations are immutable, so an unchanged file can be shared by hard link."""
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)


def read_index_files(folder: Path, manifest: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Document ids and vocabulary of a folder whose manifest has been read and checked.

    Raises `IndexFormatError` unless the manifest lists both files, the ids are ``num_docs`` unique
    non-empty strings and the vocabulary is a list of ``vocab_size`` strings.
    """
    validation.check_fields(manifest, validation.INDEX_FIELDS, folder / MANIFEST_NAME)
    validation.check_listed(manifest, [DOC_IDS_FILE, VOCAB_FILE], folder)
    doc_ids = read_doc_ids(folder / DOC_IDS_FILE, manifest["num_docs"])
    vocab = validation.check_vocab(read_json(folder / VOCAB_FILE), manifest["vocab_size"], folder / VOCAB_FILE)
    return doc_ids, vocab
