"""``splade-search encode``: show the sparse expansion of a text (what the model sees)."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from ..hub import DEFAULT_MODEL
from .console import console, print_json, user_errors
from .loading import load_encoder
from .options import ENCODER_BACKENDS, check_choice, encoder_backend_option, trust_remote_code_option


def register(app: typer.Typer) -> None:
    """Add the ``encode`` verb to ``app``."""

    @app.command()
    def encode(
        texts: list[str] = typer.Argument(..., help="Texts to encode."),
        model: str = typer.Option(DEFAULT_MODEL, "--model", "-m", help="Model folder, hub id or embedded alias."),
        side: str = typer.Option("query", help="Encode as 'query' or 'document'."),
        top_k: int = typer.Option(20, "--top-k", "-k", min=1, help="Terms to show per text."),
        max_active_dims: int = typer.Option(None, min=1, help="Keep only this many dimensions per text."),
        fast: bool = typer.Option(False, "--fast", help="bfloat16 vocabulary projection (SPLADE; faster, approximate)."),
        trust_remote_code: bool = trust_remote_code_option(),
        backend_encoder: str = encoder_backend_option(),
        json_output: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Encode texts and print their heaviest terms (CSR models: latent dimensions) and weights."""
        check_choice(side, ("query", "document"), "--side", "side")
        check_choice(backend_encoder, ENCODER_BACKENDS, "--backend-encoder", "encoder backend")
        with user_errors():
            encoder = load_encoder(model, fast=fast, trust_remote_code=trust_remote_code, backend=backend_encoder)
            method = encoder.encode_query if side == "query" else encoder.encode_document
            embeddings = method(texts, max_active_dims=max_active_dims)
            stats = [encoder.sparsity(row) for row in embeddings.to_dense()]
            decoded = heaviest(encoder, embeddings, top_k)
        if json_output:
            print_json([{"text": t, "active_dims": s["active_dims"], "terms": d} for t, s, d in zip(texts, stats, decoded)])
            return
        column = "term" if has_vocabulary(encoder) else "dimension"
        for text, stat, terms in zip(texts, stats, decoded):
            table = Table(column, "weight", title=f"{text!r} — {int(stat['active_dims'])} active dims")
            for term, weight in terms:
                table.add_row(term, f"{weight:.3f}")
            console.print(table)


def has_vocabulary(encoder: Any) -> bool:
    """Whether the embedding dimensions are vocabulary tokens (SPLADE) rather than CSR latents."""
    from ..modules import SparseAutoEncoder

    return not any(isinstance(m, SparseAutoEncoder) for m in encoder.modules())


def heaviest(encoder: Any, embeddings: Any, top_k: int) -> list[list[tuple[str, float]]]:
    """Per text, the ``top_k`` heaviest tokens (or ``dim N`` latents of a CSR model) and weights."""
    if has_vocabulary(encoder):
        return encoder.decode(embeddings, top_k=top_k)
    rows = []
    for row in embeddings.to_dense().cpu():
        active = row.nonzero(as_tuple=True)[0]
        order = row[active].argsort(descending=True, stable=True)[:top_k]
        rows.append([(f"dim {int(i)}", float(row[i])) for i in active[order]])
    return rows
