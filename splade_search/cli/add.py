"""``splade-search add INDEX CORPUS``: encode more documents with the index's model and append them."""

from __future__ import annotations

from pathlib import Path

import typer

from .console import console, print_json, reported_warnings, user_errors
from .options import count_corpus, trust_remote_code_option


def register(app: typer.Typer) -> None:
    """Add the ``add`` verb to ``app``."""

    @app.command()
    def add(
        index: Path = typer.Argument(..., help="A csr or milvus index folder."),
        corpus: str = typer.Argument(..., help="Documents to add: a JSONL/CSV/TSV/parquet file, a BEIR or text folder."),
        model: str = typer.Option(None, "--model", "-m", help="Model; default: the one the index records."),
        batch_size: int = typer.Option(32, min=1, help="Texts per forward pass."),
        trust_remote_code: bool = trust_remote_code_option(),
        json_output: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    ) -> None:
        """Append the documents of CORPUS to INDEX (their ids must be new; one writer at a time)."""
        from ..data import read_corpus
        from ..indexes import SparseIndex
        from ..retrieval.updates import add_documents
        from .loading import load_index_encoder

        with user_errors(index), reported_warnings():
            count_corpus(corpus)
            opened = SparseIndex.open(index)
            encoder = load_index_encoder(opened, model, trust_remote_code=trust_remote_code)
            updated = add_documents(encoder, read_corpus(corpus), index, batch_size=batch_size)
        added = len(updated) - len(opened)
        if json_output:
            print_json({"index": str(index), "added": added, "documents": len(updated)})
        else:
            console.print(f"added {added:,} documents to {index} ({len(updated):,} in all)")
