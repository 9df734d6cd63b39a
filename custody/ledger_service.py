"""The custody ledger as a whole: its head, a verification of the whole chain, an export, a replay."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

from custody.db.ledger_store import raw_rows, read_head, verify_ledger
from custody.db.unit_of_work import Store
from custody.ledger import ALL_COLUMNS, Head, Verification
from custody.progress import Progress
from custody.replay import Difference, replay


class Ledger:
    def __init__(self, store: Store) -> None:
        self.store = store

    def head(self) -> Head:
        with self.store.reading() as conn:
            return read_head(conn)

    def verify(
        self,
        expect_head: Head | None = None,
        expect_history: Mapping[int, str] | None = None,
        progress: Progress | None = None,
    ) -> Verification:
        """Recompute the whole chain (see :func:`custody.db.ledger_store.verify_ledger`), on the read
        replica when there is one (it verifies what the replica holds: the primary's chain up to its
        head)."""
        engine = self.store.replica or self.store.engine
        return verify_ledger(engine, expect_head, expect_history, progress)

    @contextlib.contextmanager
    def export(self) -> Iterator[Iterator[dict[str, Any]]]:
        """Every event, in seq order, as its stored columns (streamed)."""
        with raw_rows(self.store.engine) as rows:
            yield (dict(zip(ALL_COLUMNS, row, strict=True)) for row in rows)

    def replay(self, progress: Progress | None = None) -> tuple[int, list[Difference]]:
        """Rebuild every item and case from the events; how many events, and every difference."""
        return replay(self.store, progress)
