"""Progress of long operations (verifying or replaying the ledger, importing units): the core reports
how many rows it has done through an optional callback, every :data:`EVERY` rows; the entry point
shows it (the command line draws a bar on a terminal) or ignores it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

Progress = Callable[[int], None]
"""Called with the number of rows done so far."""

EVERY = 10_000


def counted(rows: Iterable[T], progress: Progress | None) -> Iterable[T]:
    """``rows`` as they come, telling ``progress`` every :data:`EVERY` rows (``rows`` itself, untouched,
    without one: nothing is added to the loop of a caller that does not ask)."""
    return rows if progress is None else _counting(rows, progress)


def _counting(rows: Iterable[T], progress: Progress) -> Iterator[T]:
    for done, row in enumerate(rows, 1):
        if not done % EVERY:
            progress(done)
        yield row
