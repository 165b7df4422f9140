"""``splade-search delete INDEX ID...``: remove documents from an index by id."""

from __future__ import annotations

from pathlib import Path

import typer

from .console import console, print_json, user_errors
from .options import check_input_file


def register(app: typer.Typer) -> None:
    """Add the ``delete`` verb to ``app``."""

    @app.command()
    def delete(
        index: Path = typer.Argument(..., help="A csr or milvus index folder."),
        ids: list[str] = typer.Argument(None, help="Ids of the documents to remove."),
        ids_file: Path = typer.Option(None, "--ids-file", help="A file of ids to remove, one per line."),
        json_output: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    ) -> None:
        """Remove documents from INDEX (all ids must exist, else nothing is removed; one writer at a time)."""
        from ..data._io import read_utf8
        from ..retrieval.updates import delete_documents

        check_input_file(ids_file, "--ids-file")
        with user_errors(index):
            doomed = list(ids or [])
            if ids_file is not None:
                doomed += [line.strip() for line in read_utf8(ids_file).splitlines() if line.strip()]
            if not doomed:
                raise typer.BadParameter("give the ids to remove, or --ids-file FILE", param_hint="IDS")
            before = len(dict.fromkeys(doomed))
            updated = delete_documents(doomed, index)
        if json_output:
            print_json({"index": str(index), "deleted": before, "documents": len(updated)})
        else:
            console.print(f"deleted {before:,} documents from {index} ({len(updated):,} left)")
