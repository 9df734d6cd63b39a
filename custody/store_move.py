"""The provincial transaction of a county's move (:mod:`custody.store_import`): every county row copied
with new ids, every county event re-chained, the import event, the access log re-chained.

What the copy carries over:

* a foreign key to a row with an integer ``id``, through the ids given to the rows copied before
  (tables are copied each after those it refers to, rows in key order);
* a ledger point a row holds (:data:`POINTS`): its ``seq`` moves with the county's events (county
  ``seq`` k is provincial ``base`` + k) and its hash becomes the re-chained event's;
* in an event's payload, every key naming a row (:data:`PAYLOAD_IDS`; an ``id`` in the lists of
  :data:`LISTED_IDS`) and every key ending in ``_seq`` (a point of the county's ledger, such as the
  event a correction corrects); any other key ending in ``_id`` or ``_ids``, or a bare ``id``, refuses
  the move: an id the move does not know how to carry would point at another row in the province.

Users of units outside the county (a provincial officer who acted there, the administrator who set the
county's store up) are copied without their credentials: their acts stay theirs, and none of them can
log in to the province until a provincial administrator gives them a password.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.engine import Connection

from custody.access_chain import chained
from custody.access_log import log_head
from custody.db.ledger_store import append_event, read_head, record_event
from custody.db.tables import AccessLogRow, Base, UnitRow
from custody.errors import ImportRefused, Message
from custody.ledger import ALL_COLUMNS, Head, canonical_payload
from custody.model import EventType

TAKEN = Message("import.taken", "the province already holds {what}: {names}")
UNKNOWN_ID = Message(
    "import.unknown_id", "event {seq} ({event_type}) holds {key} = {value}, which the move cannot carry"
)
DANGLING = Message("import.dangling", "the county's {table}.{column} names a row it does not hold: {value}")

# tables whose rows stay behind: transient (sessions, login attempts, idempotency keys, the answers kept
# for a station's retried scans), or the county's own (its checkpoints sign the county's tree; they are
# kept beside the export)
LEFT_BEHIND = frozenset(
    {
        "idempotency_keys",
        "login_attempts",
        "user_sessions",
        "scan_receipts",
        "ledger_checkpoints",
        "tag_jobs",  # a desk's tag-write jobs: operational state, finished or expired by the move
    }
)
CHAINED = frozenset({"custody_events", "access_log"})  # appended, not copied: re-chained
# a column holding a ledger point: its seq (moved with the county's events) and, if any, its hash
POINTS: dict[str, tuple[tuple[str, str | None], ...]] = {
    "audits": (("closed_seq", "closed_hash"),),
    "destruction_batches": (("closed_seq", "closed_hash"),),
    "discrepancies": (("resolved_seq", None),),
    "store_marks": (("marked_seq", None),),
}
# numbering per unit and year: a row the province holds already keeps the greater of the two (a number
# both issued is refused before, as a taken evidence or seal number)
SEQUENCES = frozenset({"number_sequences", "seal_sequences"})
# every id an event payload can hold, and the table it names
PAYLOAD_IDS: dict[str, str] = {
    "item_id": "items",
    "sample_of_item_id": "items",
    "case_id": "cases",
    "handover_id": "handovers",
    "batch_id": "destruction_batches",
    "application_id": "destruction_applications",
    "application_ids": "destruction_applications",
    "audit_id": "audits",
    "discrepancy_id": "discrepancies",
    "seal_id": "seals",
}
_PEOPLE = (
    "actor_id approver_id builder_id confirmed_by_id custodian_id custodian_user_id decided_by_id "
    "entered_by_id from_id offered_by_id owner_id receiver_id resolved_by_id site_officer_id to_id "
    "user_id witness_id applicant_id"
)
PAYLOAD_IDS |= dict.fromkeys(_PEOPLE.split(), "users")
LISTED_IDS = {"witnesses": "users"}  # lists of objects whose "id" names a row

_units = cast(Table, UnitRow.__table__)
_access = cast(Table, AccessLogRow.__table__)


def table(name: str) -> Table:
    return Base.metadata.tables[name]


def copied_tables() -> Iterator[Table]:
    """The tables copied row by row, each after the tables it refers to."""
    for each in Base.metadata.sorted_tables:
        if each.name not in LEFT_BEHIND and each.name not in CHAINED:
            yield each


@dataclass
class County:
    """What was read of the county: every copied table's rows, its events and access log, its head
    (and its access log's), the units of the county, and the export's name and SHA-256."""

    tables: dict[str, list[dict[str, Any]]]
    events: list[dict[str, Any]]
    access: list[dict[str, Any]]
    head: Head
    access_head: Head
    unit_code: str
    units: frozenset[str]
    export: str
    export_sha256: str
    now_us: int


@dataclass
class Moved:
    first_seq: int
    last_seq: int
    head: Head
    rows: dict[str, int]
    locked: list[str] = field(default_factory=list)


class Move:
    """The provincial transaction of one move; ``ids``: per table, county id → provincial id."""

    def __init__(self, county: County) -> None:
        self.county = county
        self.tables = county.tables
        self.ids: dict[str, dict[Any, Any]] = {}
        self.base = 0
        self.outside = {row["id"] for row in self.tables["users"] if row["unit_code"] not in county.units}

    def run(self, conn: Connection) -> Moved:
        self._refuse_taken(conn)
        self.base = read_head(conn).seq
        counts = {"units": self._units(conn)}
        for each in copied_tables():
            if each.name != "units":
                counts[each.name] = self._copy(conn, each)
        hashes = {event["seq"]: append_event(conn, self._event(event)).hash for event in self.county.events}
        counts["custody_events"] = len(self.county.events)
        first, last = self.base + 1, self.base + len(self.county.events)
        county = self.county
        payload = {
            "county_unit": county.unit_code,
            "county_head": {"seq": county.head.seq, "hash": county.head.hash},
            "county_events": len(county.events),
            "county_access_log_head": {"seq": county.access_head.seq, "hash": county.access_head.hash},
            "first_seq": first,
            "last_seq": last,
            "export": county.export,
            "export_sha256": county.export_sha256,
        }
        at = max([county.now_us, *(e["recorded_at_us"] for e in county.events[-1:])])
        root = next((u["code"] for u in self.tables["units"] if u["parent_code"] is None), county.unit_code)
        head = record_event(
            conn, EventType.STORE_IMPORTED, at, actor_id=None, unit_code=root, payload=payload
        )
        self._points(conn, hashes)
        counts["access_log"] = self._access(conn)
        locked = sorted(row["username"] for row in self.tables["users"] if row["id"] in self.outside)
        return Moved(first, last, head, counts, locked)

    def _refuse_taken(self, conn: Connection) -> None:
        """Names the province holds already, said together (the unique keys would say one)."""
        for name, column, what in (
            ("users", "username", "usernames"),
            ("stations", "name", "stations"),
            ("items", "evidence_no", "evidence numbers"),
            ("seals", "seal_no", "seal numbers"),
            ("locations", "code", "locations"),
        ):
            names = [row[column] for row in self.tables[name]]
            c = table(name).c[column]
            taken: list[str] = []
            for start in range(0, len(names), 500):
                taken += conn.execute(select(c).where(c.in_(names[start : start + 500]))).scalars().all()
            if taken:
                raise ImportRefused(TAKEN, what=what, names=", ".join(sorted(taken)[:20]))

    def _units(self, conn: Connection) -> int:
        """The county's units the province lacks (parents first)."""
        have = set(conn.execute(select(_units.c.code)).scalars())
        pending = [row for row in self.tables["units"] if row["code"] not in have]
        added = len(pending)
        while pending:
            ready = [row for row in pending if row["parent_code"] is None or row["parent_code"] in have]
            for row in ready or pending:  # none ready: a parent the county lacks, as its key will say
                conn.execute(insert(_units).values(**row))
                have.add(row["code"])
            pending = [row for row in pending if row["code"] not in have]
        return added

    def _copy(self, conn: Connection, each: Table) -> int:
        rows = self.tables[each.name]
        if each.name == "user_credentials":  # users of units outside the county: no way in
            rows = [row for row in rows if row["user_id"] not in self.outside]
        own = self.ids.setdefault(each.name, {})
        new_id = "id" in each.c and each.c.id.primary_key and each.c.id.autoincrement is not False
        for row in rows:
            values = dict(row)
            for fk in each.foreign_keys:
                name, target = fk.parent.name, fk.column.table.name
                if values.get(name) is not None and target in self.ids and fk.column.name == "id":
                    values[name] = self._mapped(each.name, name, target, values[name])
            for seq_column, _hash in POINTS.get(each.name, ()):
                if values.get(seq_column) is not None:
                    values[seq_column] = self.base + values[seq_column]
            if each.name in SEQUENCES and self._merged(conn, each, values):
                continue
            if each.name == "destruction_photos" and self._held_photo(conn, values["sha256"]):
                continue
            if new_id:
                old = values.pop("id")
                own[old] = conn.execute(insert(each).values(**values).returning(each.c.id)).scalar_one()
            else:
                conn.execute(insert(each).values(**values))
        return len(rows)

    def _mapped(self, name: str, column: str, target: str, value: Any) -> Any:
        found = self.ids[target].get(value)
        if found is None:
            raise ImportRefused(DANGLING, table=name, column=column, value=str(value))
        return found

    @staticmethod
    def _merged(conn: Connection, each: Table, values: dict[str, Any]) -> bool:
        """Whether the province numbers the row's unit and year already (then up to the greater)."""
        key = (each.c.unit_code == values["unit_code"]) & (each.c.year == values["year"])
        held = conn.execute(select(each.c.last_sequence).where(key)).scalar()
        if held is None:
            return False
        if held < values["last_sequence"]:
            conn.execute(update(each).where(key).values(last_sequence=values["last_sequence"]))
        return True

    @staticmethod
    def _held_photo(conn: Connection, sha256: str) -> bool:
        """A photo is kept by its content's SHA-256: one the province holds already is the same photo."""
        photos = table("destruction_photos")
        return conn.execute(select(photos.c.sha256).where(photos.c.sha256 == sha256)).first() is not None

    def _event(self, event: dict[str, Any]) -> dict[str, Any]:
        fields = {k: event[k] for k in ALL_COLUMNS if k not in ("seq", "prev_hash", "hash")}
        for column, target in (("item_id", "items"), ("case_id", "cases"), ("actor_id", "users")):
            fields[column] = self._id(event, column, target, fields[column])
        fields["witness_id"] = self._id(event, "witness_id", "users", fields["witness_id"])
        fields["payload"] = canonical_payload(self._payload(event, json.loads(event["payload"]), None))
        return fields

    def _id(self, event: dict[str, Any], key: str, target: str, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, list):
            return [self._id(event, key, target, v) for v in value]
        found = self.ids.get(target, {}).get(value) if isinstance(value, int) else None
        if found is None:
            raise ImportRefused(
                UNKNOWN_ID, seq=event["seq"], event_type=event["event_type"], key=key, value=str(value)
            )
        return found

    def _payload(self, event: dict[str, Any], value: Any, listed: str | None) -> Any:
        if isinstance(value, list):
            return [self._payload(event, v, listed) for v in value]
        if not isinstance(value, dict):
            return value
        out = {}
        for key, inner in value.items():
            if key in PAYLOAD_IDS:
                out[key] = self._id(event, key, PAYLOAD_IDS[key], inner)
            elif key == "id" and listed is not None:
                out[key] = self._id(event, key, listed, inner)
            elif key.endswith("_seq") and (inner is None or isinstance(inner, int)):
                out[key] = None if inner is None else self.base + inner
            elif key == "id" or key.endswith(("_id", "_ids", "_seq")):
                raise ImportRefused(
                    UNKNOWN_ID, seq=event["seq"], event_type=event["event_type"], key=key, value=str(inner)
                )
            else:
                out[key] = self._payload(event, inner, LISTED_IDS.get(key))
        return out

    def _points(self, conn: Connection, hashes: dict[int, str]) -> None:
        """The ledger points the copied rows hold: their hashes are the re-chained events' now."""
        for name, points in POINTS.items():
            each = table(name)
            for row in self.tables[name]:
                for seq_column, hash_column in points:
                    seq = row.get(seq_column)
                    if hash_column is None or seq is None:
                        continue
                    if seq not in hashes:
                        raise ImportRefused(DANGLING, table=name, column=seq_column, value=str(seq))
                    key = each.c.id == self.ids[name][row["id"]]
                    conn.execute(update(each).where(key).values({hash_column: hashes[seq]}))

    def _access(self, conn: Connection) -> int:
        head = log_head(conn)
        for entry in self.county.access:
            values = {k: v for k, v in entry.items() if k not in ("seq", "prev_hash", "hash_version", "hash")}
            for column, target in (("user_id", "users"), ("station_id", "stations")):
                if values[column] is not None:
                    values[column] = self._mapped("access_log", column, target, values[column])
            row = chained(head, values)
            conn.execute(insert(_access).values(**row))
            head = Head(row["seq"], row["hash"])
        return len(self.county.access)
