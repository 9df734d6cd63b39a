"""The rows a batch of audit reads reads and writes, each kind in one statement: the items bound to the
batch's tags, the audit's reads of the batch's keys so far, the items the audit has seen already, and the
batch's reads at the end (new ones inserted, the others counted). The statements are built once: a
handheld posts a batch every few tens of milliseconds."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.engine import Connection

from custody.actors import Actor, actor_from_row
from custody.audit_records import Audit, ReadIn
from custody.db.audit_tables import AuditLocationRow, AuditReadRow, AuditRow
from custody.db.prepared import Prepared, PreparedIn
from custody.db.tables import EventRow, ItemRow, UserRow
from custody.errors import CustodyError
from custody.lifecycle.items import normal_uid
from custody.model import AuditStatus, EventType

_CHUNK = 900  # keys or ids per IN (…): under every back end's limit on bound parameters

_reads = cast(Table, AuditReadRow.__table__)
_items = cast(Table, ItemRow.__table__)
_events = cast(Table, EventRow.__table__)
_audits = cast(Table, AuditRow.__table__)
_audit_locations = cast(Table, AuditLocationRow.__table__)
_users = cast(Table, UserRow.__table__)

_OPENER = ("id", "username", "full_name", "unit_code", "department", "roles")
# the station's open audit and the auditor who opened it, in one statement
_STATION_AUDIT = Prepared(
    select(
        *_audits.c,
        *(_users.c[name].label(f"opener_{name}") for name in _OPENER),
    )
    .join(_users, _users.c.id == _audits.c.opened_by_id)
    .where(_audits.c.station_name == bindparam("station"), _audits.c.status == AuditStatus.OPEN.value)
)
_AUDIT_PLACES = Prepared(
    select(_audit_locations.c.location_code)
    .where(_audit_locations.c.audit_id == bindparam("audit"))
    .order_by(_audit_locations.c.location_code)
)

_TAGGED = PreparedIn(lambda uids: select(_items).where(_items.c.tag_uid.in_(uids)))
_STORED = PreparedIn(
    lambda keys: select(_reads.c.id, _reads.c.read_key, _reads.c.tamper, _reads.c.opened_before).where(
        _reads.c.audit_id == bindparam("audit"), _reads.c.read_key.in_(keys)
    )
)
# an item the audit has seen has its audit_seen event (one, when a read first named it)
_SEEN = PreparedIn(
    lambda ids: select(_events.c.item_id, _events.c.payload).where(
        _events.c.item_id.in_(ids), _events.c.event_type == EventType.AUDIT_SEEN.value
    )
)
_COUNTED = (
    update(_reads)
    .where(_reads.c.id == bindparam("read_id"))
    .values(read_count=_reads.c.read_count + bindparam("more"), last_at_us=bindparam("now"))
)


def station_audit(conn: Connection, station: str) -> tuple[Audit, Actor] | None:
    """The open audit the station reads for and the auditor who opened it (on whose behalf the station
    reads); None when the station reads for no open audit."""
    cursor = _STATION_AUDIT.run(conn, {"station": station})
    found = cursor.fetchone()
    if found is None:
        return None
    row = dict(zip((d[0] for d in cursor.description), found, strict=True))
    opener = actor_from_row({name: row[f"opener_{name}"] for name in _OPENER})
    places = tuple(p for (p,) in _AUDIT_PLACES.run(conn, {"audit": row["id"]}).fetchall())
    return Audit.from_row(row, places, opener.username), opener


@dataclass(slots=True)
class KeptRead:
    """A read of the audit as the batch leaves it: its row (None: new in this batch, ``row`` to insert),
    its worst tamper status so far, and how many more times the batch read it."""

    id: int | None
    tamper: str | None
    opened_before: bool | None
    row: dict[str, Any] | None = None
    added: int = 0
    worse: bool = False


def stored_reads(conn: Connection, audit_id: int, keys: Sequence[str]) -> dict[str, KeptRead]:
    """The audit's reads of these keys so far."""
    found: dict[str, KeptRead] = {}
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        for row_id, key, tamper, opened_before in _STORED.run(conn, chunk, {"audit": audit_id}):
            # the driver's own value: SQLite gives a boolean as 0 or 1
            found[key] = KeptRead(row_id, tamper, None if opened_before is None else bool(opened_before))
    return found


def write_reads(conn: Connection, reads: Iterable[KeptRead], now: int) -> None:
    """The batch's reads: new ones inserted (in the order first read), the others counted."""
    new, counted = [], []
    for kept in reads:
        if kept.row is not None:
            new.append(
                {
                    **kept.row,
                    "read_count": 1 + kept.added,
                    "tamper": kept.tamper,
                    "opened_before": kept.opened_before,
                }
            )
        elif kept.worse:
            conn.execute(
                update(_reads)
                .where(_reads.c.id == kept.id)
                .values(
                    read_count=_reads.c.read_count + kept.added,
                    last_at_us=now,
                    tamper=kept.tamper,
                    opened_before=kept.opened_before,
                )
            )
        elif kept.added:
            counted.append({"read_id": kept.id, "more": kept.added})
    if counted:
        conn.execute(_COUNTED, [{**c, "now": now} for c in counted])
    if new:
        conn.execute(insert(_reads), new)


def tagged_items(conn: Connection, reads: Sequence[ReadIn]) -> dict[str, Any]:
    """The items bound to the well-formed tag UIDs of the batch, by UID (one read for them all)."""
    uids = set()
    for given in {read.uid for read in reads if read.uid is not None}:  # a tag is read many times
        try:
            uids.add(normal_uid(given))
        except CustodyError:
            continue  # refused with the read itself
    found: dict[str, Any] = {}
    chosen = sorted(uids)
    for start in range(0, len(chosen), _CHUNK):
        cursor = _TAGGED.run(conn, chosen[start : start + _CHUNK])
        names = [d[0] for d in cursor.description]
        for values in cursor.fetchall():
            row = dict(zip(names, values, strict=True))
            fires = row["fires_standard_ammunition"]  # SQLite gives a boolean as 0 or 1
            row["fires_standard_ammunition"] = None if fires is None else bool(fires)
            found[row["tag_uid"]] = row
    return found


def items_seen(conn: Connection, audit_id: int, item_ids: Sequence[int]) -> set[int]:
    """Those of ``item_ids`` an earlier read of the audit named (by themselves or through their seal):
    those with the audit's ``audit_seen`` event."""
    seen: set[int] = set()
    for start in range(0, len(item_ids), _CHUNK):
        for item_id, payload in _SEEN.run(conn, item_ids[start : start + _CHUNK]):
            if json.loads(payload).get("audit_id") == audit_id:
                seen.add(item_id)
    return seen
