"""Appending to the ledger and reading it back, on SQLite and PostgreSQL.

Appends happen only inside the writer's transaction (SQLite's write lock, or PostgreSQL's ledger advisory
lock, is held), so the head read here is the head the new event links to and ``seq`` stays gapless.
Within such a transaction the writer holds the chain head in memory (:func:`chain_held`): the first
append reads it from the table, the next ones link to the event appended before them, and an act rolled
back to its savepoint puts back the head it started from (:func:`head_mark`, :func:`restore_head`).
An act may leave a note of what it read beside the head it appended (:func:`leave_note`); the next act of
the same transaction gets it back only while that head is still the chain's head (:func:`chain_note`):
no event was appended since, so nothing whose every change is recorded in the ledger has changed.
Verification streams raw driver rows (a server-side cursor on PostgreSQL) and never loads the ledger whole.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.engine import Connection

from custody.db.prepared import Prepared, PreparedRow
from custody.db.tables import EventRow
from custody.errors import Message, UnrecordableEvent
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
from custody.text import is_plain, require_plain

VALUE_NOT_JSON = Message(
    "ledger.value_not_json", "the ledger cannot record this {event} event: a value is not JSON"
)
TEXT_NOT_UNICODE = Message(
    "ledger.text_not_unicode",
    "the ledger cannot record this {event} event: it holds text that is not valid Unicode",
)

_events = EventRow.__table__
_HEAD = Prepared(select(_events.c.seq, _events.c.hash).order_by(_events.c.seq.desc()).limit(1))
_INSERT = PreparedRow(_events, ALL_COLUMNS)
_SELECT_ALL = f"SELECT {', '.join(ALL_COLUMNS)} FROM custody_events ORDER BY seq"  # noqa: S608 - constants


# ``conn.info`` key of the chain head held by the writer's transaction: None until the first append
# reads it; absent outside such a transaction (every append reads the head from the table).
_HELD = "custody_ledger_head"
_OFF = object()
# ``conn.info`` key of the note an act left (:func:`leave_note`): (the head it was left at, the note).
_NOTE = "custody_ledger_note"


def read_head(conn: Connection) -> Head:
    row = _HEAD.run(conn, {}).fetchone()
    return Head(0, GENESIS_HASH) if row is None else Head(row[0], row[1])


@contextmanager
def chain_held(conn: Connection) -> Iterator[None]:
    """Hold the chain head in memory for the appends on ``conn`` within the block.

    Only for a block inside one transaction that holds the ledger's write lock from its start (the
    writer's: SQLite's ``BEGIN IMMEDIATE``, PostgreSQL's advisory lock), where no other connection can
    append; every event appended in between goes through :func:`append_event`."""
    info = conn.info  # taken once: a connection lost in the block is not asked again on leaving it
    info[_HELD] = None
    try:
        yield
    finally:
        info.pop(_HELD, None)
        info.pop(_NOTE, None)  # a note holds for the block's transaction only


def head_mark(conn: Connection) -> object:
    """The held head as it stands (taken before an act's savepoint, for :func:`restore_head`)."""
    return conn.info.get(_HELD, _OFF)


def restore_head(conn: Connection, mark: object) -> None:
    """Put back the held head of ``mark`` (the act's savepoint was rolled back, its events with it)."""
    if mark is not _OFF:
        conn.info[_HELD] = mark


def chain_note(conn: Connection) -> Any:
    """The note left by :func:`leave_note` in this block of :func:`chain_held` while the chain's head
    is still the one it was left at; ``None`` otherwise.

    What a note records must change only with an event of the ledger (a case's status, a unit's
    evidence-number sequence): in the writer's transaction no other writer appends, so an unmoved head
    proves it unchanged, whichever acts were rolled back since (their events with them)."""
    info = conn.info
    note = info.get(_NOTE)
    if note is None:
        return None
    left_at, value = note
    held = info.get(_HELD)
    return value if left_at is held or left_at == held else None


def leave_note(conn: Connection, value: Any) -> None:
    """Leave ``value`` for the next act in this block of :func:`chain_held` (see :func:`chain_note`), at
    the head held now (the head the act appended); outside such a block, nothing."""
    held = conn.info.get(_HELD)
    if isinstance(held, Head):
        conn.info[_NOTE] = (held, value)


def append_event(conn: Connection, fields: Mapping[str, Any]) -> Head:
    """Append one event (every hashed column but ``seq`` and ``prev_hash``); return the new head."""
    get = fields.get
    return _append(
        conn,
        [
            0,  # seq and prev_hash: set from the head
            "",
            fields["recorded_at_us"],
            fields["event_type"],
            get("item_id"),
            get("case_id"),
            fields["actor_id"],
            fields["unit_code"],
            get("station") or "",
            get("device") or "",
            get("witness_id"),
            get("item_version"),
            fields["payload"],
        ],
    )


def _append(conn: Connection, values: list[Any]) -> Head:
    """Append the event of ``values`` (:data:`custody.ledger.HASHED_COLUMNS` in order; ``seq`` and
    ``prev_hash`` are set here from the head)."""
    info = conn.info
    held = info.get(_HELD, _OFF)
    head = held if isinstance(held, Head) else read_head(conn)
    values[0] = seq = head.seq + 1
    values[1] = head.hash
    if not is_plain(values[8], values[9], values[7], values[3]):
        for name, value in (("station", values[8]), ("device", values[9]), ("unit_code", values[7])):
            require_plain(value, name)
        require_plain(values[3], "event_type")
    digest = event_hash(values)
    values.append(digest)
    _INSERT.run(conn, values)
    appended = Head(seq, digest)
    if held is not _OFF:
        info[_HELD] = appended
    return appended


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
        raise UnrecordableEvent(VALUE_NOT_JSON, event=event.value) from None
    values = [0, "", recorded_at_us, event.value, item_id, case_id, actor_id, unit_code]
    values += (station or "", device or "", witness_id, item_version, stored)
    try:
        return _append(conn, values)
    except UnicodeError:  # a lone surrogate: the chain's UTF-8 encoding cannot hold it
        raise UnrecordableEvent(TEXT_NOT_UNICODE, event=event.value) from None


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
