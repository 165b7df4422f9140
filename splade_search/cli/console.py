"""Shared terminal helpers for the CLI: one console, error reporting, JSON output."""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import typer
from rich.console import Console
from rich.markup import escape

console = Console()
err_console = Console(stderr=True)

USER_ERROR_EXIT = 2


def print_json(data: Any) -> None:
    """Write ``data`` as JSON to stdout (no rich markup)."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def report_error(message: str) -> None:
    """Print ``message`` as one ``error: ...`` line on stderr (line breaks folded, no markup interpreted)."""
    line = " ".join(str(message).split()) or "unknown error"
    err_console.print(f"[bold red]error:[/] {escape(line)}", soft_wrap=True)


def os_error_message(exc: OSError, path: str | os.PathLike[str] | None = None) -> str:
    """``<path>: <reason>`` for a failed file operation; ``path`` names the file when the error does not."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    where = exc.filename if exc.filename is not None else path
    if where is None:
        return reason
    target = f" -> {exc.filename2}" if exc.filename2 is not None else ""
    return f"{os.fsdecode(where)}{target}: {reason}"


@contextmanager
def user_errors(path: str | Path | None = None) -> Iterator[None]:
    """Turn the package's own errors and failed file operations (disk full, no permission, a folder where a file
    should be...) into one ``error:`` line and exit code 2, without a traceback.

    ``path``: what the verb writes, named when a file error does not name its own file.
    """
    from ..errors import SpladeSearchError

    try:
        yield
    except SpladeSearchError as exc:
        report_error(str(exc))
        raise typer.Exit(code=USER_ERROR_EXIT) from None
    except OSError as exc:
        report_error(os_error_message(exc, path))
        raise typer.Exit(code=USER_ERROR_EXIT) from None
    except KeyboardInterrupt:
        err_console.print("[yellow]interrupted[/]")
        raise typer.Exit(code=130) from None


@contextmanager
def reported_warnings() -> Iterator[None]:
    """Show data warnings (skipped files and records, unknown ids in qrels) as one ``warning:`` line each on stderr."""
    import warnings

    from ..data import DataWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        try:
            yield
        finally:
            for warning in caught:
                if issubclass(warning.category, DataWarning):
                    line = " ".join(str(warning.message).split())
                    err_console.print(f"[yellow]warning:[/] {escape(line)}", soft_wrap=True)
                else:
                    warnings.showwarning(warning.message, warning.category, warning.filename, warning.lineno)
