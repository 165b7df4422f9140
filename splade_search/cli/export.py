"""``splade-search export INDEX --to FORMAT --out PATH``: write an index for OpenSearch, Elasticsearch, Qdrant, JSONL or parquet."""

from __future__ import annotations

from pathlib import Path

import typer

from .console import console, print_json, user_errors
from .options import check_choice, check_output_file


def register(app: typer.Typer) -> None:
    """Add the ``export`` verb to ``app``."""

    @app.command()
    def export(
        index: Path = typer.Argument(..., help="A csr index folder."),
        to: str = typer.Option(..., "--to", help="Format: opensearch, elasticsearch, qdrant, jsonl or parquet."),
        out: Path = typer.Option(
            None, "--out", "-o", help="File (jsonl, parquet) or folder (opensearch, elasticsearch, qdrant local mode)."
        ),
        url: str = typer.Option(None, "--url", help="With --to qdrant: a Qdrant server (e.g. http://localhost:6333) instead of --out."),
        api_key: str = typer.Option(None, "--api-key", envvar="QDRANT_API_KEY", help="The Qdrant server's API key."),
        collection: str = typer.Option(None, "--collection", help="Qdrant collection name; default: the index folder's name."),
        field: str = typer.Option("tokens", "--field", help="Vector field (OpenSearch, Elasticsearch) or sparse vector name (Qdrant)."),
        batch_size: int = typer.Option(1024, "--batch-size", min=1, help="Documents read and written per batch."),
        force: bool = typer.Option(False, "--force", help="Replace an existing --out (an export folder only) or Qdrant collection."),
        json_output: bool = typer.Option(False, "--json", help="Print the summary as JSON (no progress output)."),
    ) -> None:
        """Export INDEX's documents (id, stored title/text/metadata, sparse vector) for another search engine."""
        from ..exports import FORMATS, export_index

        check_choice(to, FORMATS, "--to", "format")
        if to in ("jsonl", "parquet"):
            check_output_file(out, "--out")
        with user_errors(out):
            summary = export_index(
                index,
                to,
                out,
                url=url,
                api_key=api_key,
                collection=collection,
                field=field,
                force=force,
                batch_rows=batch_size,
                show_progress=not json_output,
            )
        if json_output:
            print_json(summary)
            return
        where = summary.get("out") or f"collection {summary['collection']!r} at {summary['url']}"
        console.print(
            f"exported {summary['documents']:,} documents ({summary['postings']:,} postings) to {to} in {where}",
            markup=False,
            highlight=False,
        )
