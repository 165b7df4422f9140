"""The one progress style of the package: a rich bar on stderr for encoding, indexing and storing documents."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeElapsedColumn
from rich.text import Text

Advance = Callable[[int], None]
"""Called with the number of items just finished."""


class _RateColumn(ProgressColumn):
    """Items per second."""

    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Any) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:.1f} {self.unit}/s" if speed else "", style="progress.data.speed")


class _CountColumn(ProgressColumn):
    """``done/total``, or just ``done`` when the total is unknown."""

    def __init__(self) -> None:
        super().__init__()
        self._both = MofNCompleteColumn()

    def render(self, task: Any) -> Text:
        if task.total is None:
            return Text(f"{int(task.completed):,}", style="progress.download")
        return self._both.render(task)


@contextmanager
def progress_bar(
    description: str, total: int | None = None, *, completed: int = 0, unit: str = "docs", enabled: bool = True
) -> Iterator[Advance]:
    """Show a progress bar on stderr while the block runs; yields the function that advances it.

    ``total``: how many items to expect (``None``: unknown, only the count is shown); ``completed``: items
    already done (a resumed run); ``enabled=False`` shows nothing. Bars may nest (each gets its own line).
    """
    if not enabled:
        yield lambda n: None
        return
    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        _CountColumn(),
        _RateColumn(unit),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=False,
    )
    with progress:
        task = progress.add_task(description, total=total, completed=completed)
        yield lambda n: progress.advance(task, n)


def progress_note(text: str, enabled: bool = True) -> None:
    """Print one line about a step without a bar (e.g. an external indexer starting) on stderr, in the bars' style."""
    if enabled:
        Console(stderr=True).print(text, style="progress.description", markup=False, highlight=False)
