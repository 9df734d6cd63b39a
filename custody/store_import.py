"""Moving a county's store into the provincial database (``custody db import-county``).

A county evidence room runs on its own SQLite file; when it joins the provincial service its store
moves into the provincial PostgreSQL database. The canonical encoding of an event hashes database ids
(``item_id``, ``case_id``, ``actor_id``, ``witness_id``), and ids collide between databases, so the
move **re-chains**:

1. the county's store is checked first, and refused unless all of it holds: a custody store at the
   newest schema, its ledger verifying, its access log verifying, and its records agreeing with its
   ledger (a replay finds no difference). Every record of its cases, items, seals, locations, stations,
   handovers, applications, audits and numbering is of the county's unit or a unit below it;
2. the county's ledger and access log are exported as they stand (JSON lines, every column as stored,
   as ``custody ledger export`` writes them; its signed checkpoints beside them) into a directory the
   operator keeps: the export is the county's original evidence, and anyone can check it against the
   county's old head with ``python -m custody.verify_export``. An export is left only for a move made;
3. in one transaction of the provincial writer (:mod:`custody.store_move`): every row of the county's
   tables is copied with new ids, every county event is appended to the province's chain in the
   county's order (its time, actor, payload and device kept; ``seq``, ``prev_hash`` and ``hash`` new),
   and a ``store_imported`` event records the county's unit, old head, event count, access log head, the
   province's first and last ``seq`` of the county's events and the SHA-256 of the export. The access
   log is re-chained the same way.

The county's service must be stopped: a store that changes while it is read is refused. Nothing
transient moves (sessions, login attempts, idempotency keys, kept scan answers): county users log in
again. The county's checkpoints sign the county's tree, not the province's: they stay with the export.
Refused, with nothing written: a username, station, location, evidence number or seal number the
province already holds, any other row a unique key of the province's holds, and an event payload
holding an id the move does not know how to carry (:data:`custody.store_move.PAYLOAD_IDS`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Table, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DatabaseError, IntegrityError

from custody.access_chain import ALL_COLUMNS as ACCESS_COLUMNS
from custody.access_log import SELECT_ALL as ACCESS_ALL
from custody.access_log import verify_log
from custody.db.ledger_store import raw_rows, verify_ledger
from custody.db.migrate import schema_is_current
from custody.db.unit_of_work import Store
from custody.errors import ImportRefused, Message
from custody.ledger import ALL_COLUMNS, Head
from custody.replay import replay
from custody.store_move import County, Move, copied_tables, table

NOT_A_STORE = Message("import.not_a_store", "the county file is not a custody store: {reason}")
OLD_SCHEMA = Message(
    "import.old_schema", "the {which} store is not at the newest schema: run custody db upgrade on it"
)
NOT_VERIFIED = Message("import.not_verified", "the county's {chain} does not verify at seq {seq}: {reason}")
DIFFERS = Message(
    "import.differs", "the county's records differ from its ledger ({count} differences, first: {first})"
)
NO_UNIT = Message("import.no_unit", "the county store holds no unit {unit_code}")
OUTSIDE = Message("import.outside", "the county store holds {what} of unit {unit}, outside unit {unit_code}")
CHANGED = Message(
    "import.changed", "the county store changed while it was read: stop the county's service first"
)
EMPTY = Message("import.empty", "the county store holds no events: nothing to move")
CONFLICT = Message(
    "import.conflict", "the province already holds a row the county store holds too ({detail})"
)

# the tables whose every row names its unit, which must be the county's or one below it
_SCOPED: tuple[str, ...] = ("cases", "items", "seals", "locations", "stations", "handovers")
_SCOPED += ("destruction_applications", "audits", "discrepancies", "store_marks", "number_sequences")
_SCOPED += ("seal_sequences",)


@dataclass(frozen=True, slots=True)
class CountyMoved:
    """What a move did: the county's old head and event count, where its events now stand in the
    province's chain, the import event, the province's head after, the rows copied per table, the
    users copied without a way in (of units outside the county), and the export kept."""

    county_head: Head
    county_events: int
    first_seq: int
    last_seq: int
    import_seq: int
    head: Head
    rows: dict[str, int]
    locked_users: tuple[str, ...]
    export: Path
    export_sha256: str


def import_county(
    county: Store, province: Store, unit_code: str, keep: Path, expect_head: Head | None = None
) -> CountyMoved:
    """Move the county's store, whose unit is ``unit_code``, into the province's (see the module's
    documentation); ``expect_head``: a head of the county's recorded earlier (on a report, a slip), which
    its ledger must still hold (a ledger cut off at its end verifies by itself)."""
    _check_schemas(county, province)
    verified = verify_ledger(county.engine, expect_head)
    if not verified.ok:
        raise ImportRefused(
            NOT_VERIFIED, chain="ledger", seq=verified.first_bad_seq or 0, reason=verified.reason or ""
        )
    if verified.head.seq == 0:
        raise ImportRefused(EMPTY)
    logged = verify_log(county.engine)
    if not logged.ok:
        raise ImportRefused(
            NOT_VERIFIED, chain="access log", seq=logged.first_bad_seq or 0, reason=logged.reason or ""
        )
    _count, differences = replay(county)
    if differences:
        first = differences[0].as_dict()
        raise ImportRefused(
            DIFFERS, count=len(differences), first=json.dumps(first, ensure_ascii=False, default=str)
        )
    with county.reading() as conn:
        tree = county.units(conn, fresh=True)
        if unit_code not in tree:
            raise ImportRefused(NO_UNIT, unit_code=unit_code)
        units = tree.below(unit_code)
        tables = {t.name: _rows(conn, t, t.primary_key.columns) for t in copied_tables()}
        access = _rows(conn, table("access_log"), [table("access_log").c.seq])
        kept = _rows(conn, table("ledger_checkpoints"), [table("ledger_checkpoints").c.id])
    _check_scope(tables, unit_code, units)
    keep.mkdir(parents=True, exist_ok=True)
    name = f"county-{unit_code}-ledger-{verified.head.seq}-{verified.head.hash[:16]}"
    part = keep / f"{name}.jsonl.part"
    # the ledger read once, as stored: written to the export and copied from the same rows
    events, digest = _write_lines(part, county, ALL_COLUMNS, None)
    if len(events) != verified.head.seq or events[-1]["hash"] != verified.head.hash:
        part.unlink(missing_ok=True)
        raise ImportRefused(CHANGED)
    move = Move(
        County(
            tables,
            events,
            access,
            verified.head,
            logged.head,
            unit_code,
            frozenset(units),
            f"{name}.jsonl",
            digest,
            province.now_us(),
        )
    )
    try:
        moved = province.write(move.run)
    except BaseException as error:
        part.unlink(missing_ok=True)  # no export left for a move not made
        if isinstance(error, IntegrityError):
            detail = str(error.orig).splitlines()[0][:300] if error.orig is not None else "a unique key"
            raise ImportRefused(CONFLICT, detail=detail) from None
        raise
    export = part.with_name(f"{name}.jsonl")
    part.rename(export)
    _write_lines(export.with_name(f"{name}.access.jsonl"), county, ACCESS_COLUMNS, ACCESS_ALL)
    if kept:
        export.with_name(f"{name}.checkpoints").write_text(
            "\n".join(r["note"] for r in kept), encoding="utf-8"
        )
    province.units_changed()
    return CountyMoved(
        verified.head,
        len(events),
        moved.first_seq,
        moved.last_seq,
        moved.head.seq,
        moved.head,
        moved.rows,
        tuple(moved.locked),
        export,
        digest,
    )


def _check_schemas(county: Store, province: Store) -> None:
    try:
        if not inspect(county.engine).has_table("custody_events"):
            raise ImportRefused(NOT_A_STORE, reason="it holds no ledger")
        county_current = schema_is_current(county.engine)
    except DatabaseError as error:  # not SQLite at all, or unreadable
        raise ImportRefused(NOT_A_STORE, reason=str(error.orig)[:200]) from None
    if not county_current:
        raise ImportRefused(OLD_SCHEMA, which="county")
    if not schema_is_current(province.engine):
        raise ImportRefused(OLD_SCHEMA, which="provincial")


def _rows(conn: Connection, each: Table, order: Iterable[Any]) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(select(each).order_by(*order)).mappings()]


def _check_scope(tables: dict[str, list[dict[str, Any]]], unit_code: str, units: set[str]) -> None:
    for name in _SCOPED:
        for row in tables[name]:
            if row["unit_code"] not in units:
                what = name.replace("_", " ")
                raise ImportRefused(OUTSIDE, what=what, unit=row["unit_code"], unit_code=unit_code)


def _write_lines(
    path: Path, county: Store, columns: Sequence[str], statement: str | None
) -> tuple[list[dict[str, Any]], str]:
    """Every row of the county's ledger (``statement`` None) or access log, as stored, written as one
    JSON line each; the rows and the file's SHA-256."""
    digest = hashlib.sha256()
    rows: list[dict[str, Any]] = []
    with (
        raw_rows(county.engine, *([statement] if statement else [])) as stored,
        path.open("w", encoding="utf-8") as out,
    ):
        for row in stored:
            rows.append(dict(zip(columns, row, strict=True)))
            line = json.dumps(rows[-1], ensure_ascii=False, default=str) + "\n"
            out.write(line)
            digest.update(line.encode())
    return rows, digest.hexdigest()
