"""The typer application; each verb lives in its own module."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import typer
from typer.core import TyperGroup

from .console import err_console, report_error


def show_flags_as_flags(command: Any, ctx: Any) -> Any:
    """``command`` with its on/off options (``--json``, ``--help``...) shown in help without a value type.

    typer labels every boolean option ``<bool>``, which reads as if ``--fast`` took a value; a flag never
    does, so its type column is left empty.
    """
    for param in command.get_params(ctx):
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
    return command


class OneLineErrors(TyperGroup):
    """The verb group; a usage error (bad option value, missing argument) prints one ``error:`` line, exit code 2."""

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        return show_flags_as_flags(command, ctx) if command is not None else None

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except typer.TyperException as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # the help text is already printed
                sys.exit(exc.exit_code)
            context = getattr(exc, "ctx", None)
            hint = f" (see '{context.command_path} --help')" if context is not None else ""
            report_error(exc.format_message() + hint)
            sys.exit(exc.exit_code)
        except typer.Abort:
            err_console.print("aborted", markup=False)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    name="splade-search",
    help="Learned sparse retrieval: train sparse encoders, index corpora, search and evaluate.",
    cls=OneLineErrors,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def main() -> None:
    """Console-script entry point."""
    app()
