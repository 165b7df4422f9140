"""The typer application; each verb lives in its own module."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="splade-search",
    help="Learned sparse retrieval: train sparse encoders, index corpora, search and evaluate.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def main() -> None:
    """Console-script entry point."""
    app()
