"""Appending to the ledger and reading it back, on SQLite and PostgreSQL.

Appends happen only inside the writer's transaction (SQLite's write lock, or PostgreSQL's ledger advisory
lock, is held), so the head read here is the head the new event links to and ``seq`` stays gapless.
Verification streams raw driver rows (a server-side cursor on PostgreSQL) and never loads the ledger whole.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.engine import Connection

from custody.db.prepared import Prepared, PreparedInsert
from custody.db.tables import CustodyEvent
from custody.ledger import ALL_COLUMNS, GENESIS_HASH, Head, Verification, event_hash, verify_rows
from custody.text import require_plain

_events = CustodyEvent.__table__
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


def _raw_rows(engine: Engine) -> Iterator[tuple[Any, ...]]:
    raw = engine.raw_connection()
    try:
        if engine.dialect.name == "postgresql":
            cursor = raw.driver_connection.cursor(name="custody_verify")  # type: ignore[union-attr]
            cursor.itersize = 10_000
        else:
            cursor = raw.cursor()
        cursor.execute(_SELECT_ALL)
        yield from cursor
        cursor.close()
    finally:
        raw.close()


def verify_ledger(engine: Engine, expect_head: Head | None = None) -> Verification:
    """Recompute the whole chain from the rows exactly as the driver returns them."""
    unreadable: tuple[type[BaseException], ...] = (UnicodeDecodeError,)
    if engine.dialect.name == "sqlite":
        import sqlite3

        unreadable += (sqlite3.OperationalError,)  # "Could not decode to UTF-8 column ..."
    return verify_rows(_raw_rows(engine), expect_head, unreadable)
