"""``splade-search merge OUT SHARD...``: assemble the shards of ``index --shard i/N`` into one index."""

from __future__ import annotations

from pathlib import Path

import typer

from .console import console, print_json, user_errors
from .options import check_output_folder


def register(app: typer.Typer) -> None:
    """Add the ``merge`` verb to ``app``."""

    @app.command()
    def merge(
        out: Path = typer.Argument(..., help="The merged index folder (an index there is replaced once the merge is complete)."),
        shards: list[Path] = typer.Argument(..., help="The folders of all N shards (any order)."),
        force: bool = typer.Option(
            False, "--force", help="Write into OUT even if it is not an index or holds an index of another corpus."
        ),
        json_output: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    ) -> None:
        """Merge the shards of `index CORPUS --shard i/N` into one index equal to a single-process build of CORPUS."""
        from ..retrieval.merge import merge_shards

        check_output_folder(out, "OUT")
        with user_errors(out):
            merged = merge_shards(out, shards, force=force, show_progress=not json_output)
        stats = merged.stats().to_dict()
        if json_output:
            print_json({"index": str(out), "shards": len(shards), **stats})
            return
        console.print(
            f"merged {len(shards)} shards into {out}: {stats['documents']:,} documents, {stats['postings']:,} postings, "
            f"{stats['bytes_on_disk'] / 1e6:.2f} MB ({merged.storage}, {stats['quantization']})",
            soft_wrap=True,
        )
