"""Progress bars of long commands (``ledger verify``, ``ledger replay``, ``unit import``).

A bar is drawn on standard error, and only when standard error is a terminal: piped or redirected, a
command prints exactly what it prints without one (its JSON lines on standard output are the same
either way). The core reports progress through an optional callback (:mod:`custody.progress`); the bar
is that callback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from custody.progress import Progress


def on_terminal() -> bool:
    return sys.stderr.isatty()


@contextmanager
def progress_bar(
    description: str, total: Callable[[], int] | int, unit: str = "events"
) -> Iterator[Progress | None]:
    """A callback drawing a bar towards ``total`` on the terminal (None when standard error is not a
    terminal: nothing is drawn). ``total`` may be a function, asked only when a bar is drawn; if it
    fails (a damaged database being verified), the bar counts without an end. The bar is full when the
    block ends without an error."""
    if not on_terminal():
        yield None
        return
    if callable(total):
        try:
            total = total()
        except Exception:  # noqa: BLE001 - the command itself reports what is wrong with the database
            total = 0
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=False) as bar:
        task = bar.add_task(description, total=total or None)

        def advance(done: int) -> None:
            bar.update(task, completed=done)

        yield advance
        if total:
            bar.update(task, completed=total)
