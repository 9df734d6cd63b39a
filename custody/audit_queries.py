"""What audits read from the database: an audit with its locations, the candidates of a store, whether
an auditor took part in their custody, the station's open audit, and the rows a reconciliation takes
(each one SELECT, tuples straight into the reconciliation's typed rows)."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import compress, repeat
from operator import is_, itemgetter
from typing import Any, cast

from sqlalchemy import Select, Table, case, func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from custody.audit_records import Audit
from custody.db.audit_tables import AuditCandidateRow, AuditLocationRow, AuditReadRow, AuditRow
from custody.db.lookups import NOT_CUSTODY, RECEIVED
from custody.db.storage_tables import SealItemRow, SealRow
from custody.db.tables import EventRow, ItemRow, UserRow
from custody.model import AuditStatus
from custody.reconcile import IN_STORE, Drawn, ItemSeen, Read, ReadLog, SealSeen, paused_collector

_audits = cast(Table, AuditRow.__table__)
_audit_locations = cast(Table, AuditLocationRow.__table__)
_candidates = cast(Table, AuditCandidateRow.__table__)
_reads = cast(Table, AuditReadRow.__table__)
_items = cast(Table, ItemRow.__table__)
_events = cast(Table, EventRow.__table__)
_users = cast(Table, UserRow.__table__)
_seals = cast(Table, SealRow.__table__)
_seal_items = cast(Table, SealItemRow.__table__)

_CHUNK = 900  # ids per IN (…): under every back end's limit on bound parameters


def audit_row(conn: Connection, audit_id: int) -> Audit | None:
    row = (
        conn.execute(
            select(_audits, _users.c.username)
            .join(_users, _users.c.id == _audits.c.opened_by_id)
            .where(_audits.c.id == audit_id)
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    places = tuple(
        conn.execute(
            select(_audit_locations.c.location_code)
            .where(_audit_locations.c.audit_id == audit_id)
            .order_by(_audit_locations.c.location_code)
        ).scalars()
    )
    return Audit.from_row(row, places, row["username"])


def within_places(column: ColumnElement[str | None], places: Sequence[str]) -> ColumnElement[bool] | None:
    """``column`` names one of ``places`` or a location below one (None: no places, no condition)."""
    if not places:
        return None
    return or_(*(or_(column == p, column.like(p + "-%")) for p in places))


def candidate_rows(
    conn: Connection, unit_code: str, places: Sequence[str]
) -> list[tuple[int, str, str | None, str | None]]:
    """(id, evidence number, seal number, location) of every item in the unit's store (accepted, sealed
    or not) at ``places`` or below them (none: the whole store)."""
    query = select(_items.c.id, _items.c.evidence_no, _items.c.seal_no, _items.c.location_code).where(
        _items.c.unit_code == unit_code, _items.c.state.in_(sorted(IN_STORE))
    )
    where = within_places(_items.c.location_code, places)
    if where is not None:
        query = query.where(where)
    return [(r[0], r[1], r[2], r[3]) for r in conn.execute(query.order_by(_items.c.id))]


def not_independent(conn: Connection, user_id: int, item_ids: Sequence[int], since_us: int) -> str | None:
    """The evidence number of an item whose custody the user took part in since ``since_us`` (as actor,
    witness or receiver of an event other than a sighting or an audit's), or None."""
    receivers = [
        _events.c.payload.like(f'%"{key}":{user_id}{end}%') for key in RECEIVED for end in (",", "}")
    ]
    took_part = or_(_events.c.actor_id == user_id, _events.c.witness_id == user_id, *receivers)
    for start in range(0, len(item_ids), _CHUNK):
        chunk = item_ids[start : start + _CHUNK]
        found = conn.execute(
            select(_items.c.evidence_no)
            .join(_events, _events.c.item_id == _items.c.id)
            .where(
                _events.c.item_id.in_(chunk),
                _events.c.recorded_at_us >= since_us,
                _events.c.event_type.not_in(NOT_CUSTODY),
                took_part,
            )
            .order_by(_items.c.evidence_no)
            .limit(1)
        ).scalar_one_or_none()
        if found is not None:
            return str(found)
    return None


def open_audit_of_station(conn: Connection, station: str) -> int | None:
    found = conn.execute(
        select(_audits.c.id).where(
            _audits.c.station_name == station, _audits.c.status == AuditStatus.OPEN.value
        )
    ).scalar_one_or_none()
    return None if found is None else int(found)


def load_reconciliation_input(conn: Connection, audit_id: int) -> tuple[Drawn, ReadLog]:
    """The drawn items as their records stand, and every distinct read in the order read with what it
    names (the records of items read that were not drawn; the seals read, with what they hold). Rows
    are fetched as the driver gives them, with no per-row result processing, and turned into columns:
    an audit of a whole store is a hundred thousand of each."""
    with paused_collector():
        rows = _fetched(
            conn,
            select(_items.c.id, _items.c.evidence_no, _items.c.seal_no, _items.c.location_code)
            .join(_candidates, _candidates.c.item_id == _items.c.id)
            .where(_candidates.c.audit_id == audit_id, _candidates.c.drawn_round.is_not(None)),
        )
        drawn = Drawn(*_columns(rows, 4))
        del rows  # freed here, not left to the collector's next pass
        named_none = _reads.c.item_id.is_(None)
        rows = _fetched(
            conn,
            select(
                _reads.c.item_id,
                _reads.c.location_code,
                or_(_reads.c.tamper == "open", _reads.c.opened_before.is_(True)),
                # what only a read that named no item needs (none of it, for the others)
                case((named_none, func.coalesce(_reads.c.code, _reads.c.uid, ""))),
                case((named_none, _reads.c.kind)),
                _reads.c.seal_no,
            )
            .where(_reads.c.audit_id == audit_id)
            .order_by(_reads.c.id),
        )
        item_ids, places, broken = _columns(rows, 3)
        others = _others(conn, rows, item_ids)
        del rows
        records = _items_named(conn, sorted(set(item_ids).difference(drawn.item_ids, (None,))))
        return drawn, ReadLog(item_ids, places, list(map(bool, broken)), others, records)


def _columns(rows: list[Any], count: int) -> list[list[Any]]:
    """The first ``count`` columns of ``rows``."""
    return [list(map(itemgetter(column), rows)) for column in range(count)]


def _others(conn: Connection, rows: list[Any], item_ids: list[int | None]) -> dict[int, Read]:
    """The reads that named no item (a seal, a location, a code naming nothing), by their position."""
    at = list(compress(range(len(rows)), map(is_, item_ids, repeat(None))))
    seals = _seals_read(conn, sorted({rows[i][5] for i in at if rows[i][4] == "seal" and rows[i][5]}))
    others: dict[int, Read] = {}
    for i in at:
        _item_id, place, broken, shown, kind, seal_no = rows[i]
        if kind == "location":
            others[i] = Read(shown, place, location=True)
        elif kind == "seal" and seal_no in seals:
            others[i] = Read(shown, place, seal=seals[seal_no], broken=bool(broken))
        else:
            others[i] = Read(shown, place)
    return others


_ITEM_COLUMNS = (
    _items.c.id,
    _items.c.evidence_no,
    _items.c.unit_code,
    _items.c.state,
    _items.c.seal_no,
    _items.c.location_code,
)


def _fetched(conn: Connection, query: Select[Any]) -> list[Any]:
    """Every row of ``query`` as the driver's own tuples."""
    result = conn.execute(query)
    try:
        return list(result.cursor.fetchall())
    finally:
        result.close()


def _items_named(conn: Connection, item_ids: Sequence[int]) -> dict[int, ItemSeen]:
    """The records of items read that the audit did not draw."""
    found: dict[int, ItemSeen] = {}
    for start in range(0, len(item_ids), _CHUNK):
        chunk = item_ids[start : start + _CHUNK]
        for row in _fetched(conn, select(*_ITEM_COLUMNS).where(_items.c.id.in_(chunk))):
            found[row[0]] = ItemSeen._make(row)
    return found


def _seals_read(conn: Connection, numbers: Sequence[str]) -> dict[str, SealSeen]:
    """The seals read, each with the items it holds (a void seal: those it held)."""
    found: dict[str, SealSeen] = {}
    for start in range(0, len(numbers), _CHUNK):
        chunk = numbers[start : start + _CHUNK]
        members: dict[int, list[ItemSeen]] = {}
        for seal_id, *item in _fetched(
            conn,
            select(_seal_items.c.seal_id, *_ITEM_COLUMNS)
            .join(_items, _items.c.id == _seal_items.c.item_id)
            .join(_seals, _seals.c.id == _seal_items.c.seal_id)
            .where(_seals.c.seal_no.in_(chunk)),
        ):
            members.setdefault(seal_id, []).append(ItemSeen(*item))
        for seal_id, seal_no, unit_code, status, location_code in _fetched(
            conn,
            select(
                _seals.c.id, _seals.c.seal_no, _seals.c.unit_code, _seals.c.status, _seals.c.location_code
            ).where(_seals.c.seal_no.in_(chunk)),
        ):
            held = tuple(members.get(seal_id, ()))
            # an intact seal holds the items still recorded under it
            if status == "intact":
                held = tuple(m for m in held if m.seal_no == seal_no)
            found[seal_no] = SealSeen(seal_no, unit_code, status, location_code, held)
    return found
