"""``splade-search encode``: show the sparse expansion of a text (what the model sees)."""

from __future__ import annotations

import typer
from rich.table import Table

from .console import console, print_json, user_errors
from .loading import load_encoder
from .options import check_choice


def register(app: typer.Typer) -> None:
    """Add the ``encode`` verb to ``app``."""

    @app.command()
    def encode(
        texts: list[str] = typer.Argument(..., help="Texts to encode."),
        model: str = typer.Option("splade-tiny", "--model", "-m", help="Model folder, hub id or embedded alias."),
        side: str = typer.Option("query", help="Encode as 'query' or 'document'."),
        top_k: int = typer.Option(20, "--top-k", "-k", min=1, help="Terms to show per text."),
        max_active_dims: int = typer.Option(None, min=1, help="Keep only this many dimensions per text."),
        fast: bool = typer.Option(False, "--fast", help="bfloat16 vocabulary projection (SPLADE; faster, approximate)."),
        json_output: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Encode texts and print their heaviest terms and weights."""
        check_choice(side, ("query", "document"), "--side", "side")
        with user_errors():
            encoder = load_encoder(model, fast=fast)
            method = encoder.encode_query if side == "query" else encoder.encode_document
            embeddings = method(texts, max_active_dims=max_active_dims)
            stats = [encoder.sparsity(row) for row in embeddings.to_dense()]
            decoded = encoder.decode(embeddings, top_k=top_k)
        if json_output:
            print_json([{"text": t, "active_dims": s["active_dims"], "terms": d} for t, s, d in zip(texts, stats, decoded)])
            return
        for text, stat, terms in zip(texts, stats, decoded):
            table = Table("term", "weight", title=f"{text!r} — {int(stat['active_dims'])} active dims")
            for term, weight in terms:
                table.add_row(term, f"{weight:.3f}")
            console.print(table)
