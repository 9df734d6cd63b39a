"""Appending to the ledger and reading it back, on SQLite and PostgreSQL.

Appends happen only inside the writer's transaction (SQLite's write lock, or PostgreSQL's ledger advisory
lock, is held), so the head read here is the head the new event links to and ``seq`` stays gapless.
Verification streams raw driver rows (a server-side cursor on PostgreSQL) and never loads the ledger whole.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.engine import Connection

from custody.db.prepared import Prepared, PreparedInsert
from custody.db.tables import EventRow
from custody.errors import UnrecordableEvent
from custody.ledger import (
    ALL_COLUMNS,
    GENESIS_HASH,
    Head,
    Verification,
    canonical_payload,
    event_hash,
    verify_rows,
)
from custody.model import EventType
from custody.progress import Progress, counted
from custody.text import require_plain

_events = EventRow.__table__
_HEAD = Prepared(select(_events.c.seq, _events.c.hash).order_by(_events.c.seq.desc()).limit(1))
_INSERT = PreparedInsert(_events)
_SELECT_ALL = f"SELECT {', '.join(ALL_COLUMNS)} FROM custody_events ORDER BY seq"  # noqa: S608 - constants


def read_head(conn: Connection) -> Head:
    row = _HEAD.run(conn, {}).fetchone()
    return Head(0, GENESIS_HASH) if row is None else Head(row[0], row[1])


def append_event(conn: Connection, fields: Mapping[str, Any]) -> Head:
    """Append one event (every hashed column but ``seq`` and ``prev_hash``); return the new head."""
    head = read_head(conn)
    row = {
        "seq": head.seq + 1,
        "prev_hash": head.hash,
        "recorded_at_us": fields["recorded_at_us"],
        "event_type": fields["event_type"],
        "item_id": fields.get("item_id"),
        "case_id": fields.get("case_id"),
        "actor_id": fields["actor_id"],
        "unit_code": fields["unit_code"],
        "station": fields.get("station") or "",
        "device": fields.get("device") or "",
        "witness_id": fields.get("witness_id"),
        "item_version": fields.get("item_version"),
        "payload": fields["payload"],
    }
    for name in ("station", "device", "unit_code", "event_type"):
        require_plain(row[name], name)
    row["hash"] = event_hash([row[c] for c in ALL_COLUMNS[:-1]])
    _INSERT.run(conn, row)
    return Head(row["seq"], row["hash"])


def record_event(
    conn: Connection,
    event: EventType,
    recorded_at_us: int,
    *,
    actor_id: int | None,
    unit_code: str,
    payload: dict[str, Any],
    item_id: int | None = None,
    case_id: int | None = None,
    item_version: int | None = None,
    station: str = "",
    device: str = "",
    witness_id: int | None = None,
) -> Head:
    """The one builder of ledger rows: every act and every sighting is appended through here.

    The payload is stored as canonical JSON (:func:`custody.ledger.canonical_payload`). A value the
    chain's encoding cannot hold is refused as :class:`~custody.errors.UnrecordableEvent` (the caller's
    savepoint is rolled back: nothing of the act is written)."""
    try:
        stored = canonical_payload(payload)
    except (TypeError, ValueError):  # not JSON (a set, bytes, a circular structure)
        raise UnrecordableEvent(
            f"the ledger cannot record this {event.value} event: a value is not JSON"
        ) from None
    try:
        return append_event(
            conn,
            {
                "recorded_at_us": recorded_at_us,
                "event_type": event.value,
                "item_id": item_id,
                "case_id": case_id,
                "actor_id": actor_id,
                "unit_code": unit_code,
                "station": station,
                "device": device,
                "witness_id": witness_id,
                "item_version": item_version,
                "payload": stored,
            },
        )
    except UnicodeError:  # a lone surrogate: the chain's UTF-8 encoding cannot hold it
        raise UnrecordableEvent(
            f"the ledger cannot record this {event.value} event: it holds text that is not valid Unicode"
        ) from None


@contextmanager
def raw_rows(engine: Engine, statement: str = _SELECT_ALL) -> Iterator[Iterator[tuple[Any, ...]]]:
    """The rows of ``statement`` exactly as the driver returns them, streamed (a server-side cursor on
    PostgreSQL). The cursor and connection are closed on leaving the block, even when the reader
    stopped early (a verification stops at the first bad row)."""
    raw = engine.raw_connection()
    try:
        if engine.dialect.name == "postgresql":
            cursor = raw.driver_connection.cursor(name="custody_verify")  # type: ignore[union-attr]
            cursor.itersize = 10_000
        else:
            cursor = raw.cursor()
        try:
            cursor.execute(statement)
            yield iter(cursor)
        finally:
            cursor.close()
    finally:
        raw.close()


def unreadable_errors(engine: Engine) -> tuple[type[BaseException], ...]:
    """What the driver raises for a stored value it cannot read (a bad event, not a failure)."""
    unreadable: tuple[type[BaseException], ...] = (UnicodeDecodeError,)
    if engine.dialect.name == "sqlite":
        import sqlite3

        unreadable += (sqlite3.OperationalError,)  # "Could not decode to UTF-8 column ..."
    return unreadable


def verify_ledger(
    engine: Engine,
    expect_head: Head | None = None,
    expect_history: Mapping[int, str] | None = None,
    progress: Progress | None = None,
) -> Verification:
    """Recompute the whole chain from the rows exactly as the driver returns them (``progress``: told
    the number of events checked, every :data:`custody.progress.EVERY`)."""
    with raw_rows(engine) as rows:
        return verify_rows(counted(rows, progress), expect_head, unreadable_errors(engine), expect_history)
