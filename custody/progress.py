"""Progress of long operations (verifying or replaying the ledger, importing units): the core reports
how many rows it has done through an optional callback, every :data:`EVERY` rows; the entry point
shows it (the command line draws a bar on a terminal) or ignores it."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[int], None]
"""Called with the number of rows done so far."""

EVERY = 10_000
