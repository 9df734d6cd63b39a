"""Moving a county's store into the provincial database (``custody db import-county``).

A county evidence room runs on its own SQLite file; when it joins the provincial service its store
moves into the provincial PostgreSQL database. The canonical encoding of an event hashes database ids
(``item_id``, ``case_id``, ``actor_id``, ``witness_id``), and ids collide between databases, so the
move **re-chains**:

1. the county's chain is verified first (a county store that does not verify is refused);
2. the county's ledger is exported as it stands (JSON lines, every column as stored, as
   ``custody ledger export`` writes it; its signed checkpoints beside it) into a directory the operator
   keeps: the export is the county's original evidence, and anyone can check it against the county's
   old head with ``python -m custody.verify_export``;
3. in one transaction of the provincial writer: every row of the county's tables is copied with new
   ids (the references between them, and the ids inside event payloads, carried over), every county
   event is appended to the province's chain in the county's order (its time, actor, payload and
   device kept; ``seq``, ``prev_hash`` and ``hash`` new), and a ``store_imported`` event records the
   county's old head, its event count, the province's first and last ``seq`` of the county's events and
   the SHA-256 of the export. The access log is re-chained the same way.

Nothing transient moves (sessions, login attempts, idempotency keys, demo-account marks): county users
log in again. The county's checkpoints sign the county's tree, not the province's: they stay with the
export. Refused, with nothing written: a store on an older schema, a username, station, location,
evidence number or seal number the province already holds, and an event payload holding an id the
move does not know how to carry (:data:`PAYLOAD_IDS` names every one it does).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DatabaseError, IntegrityError

from custody.access_chain import chained
from custody.db.ledger_store import append_event, raw_rows, read_head, record_event, verify_ledger
from custody.db.migrate import schema_is_current
from custody.db.tables import AccessLogRow, Base, EventRow, UnitRow
from custody.db.unit_of_work import Store
from custody.errors import ImportRefused, Message
from custody.ledger import ALL_COLUMNS, GENESIS_HASH, Head
from custody.model import EventType

OLD_SCHEMA = Message(
    "import.old_schema", "the {which} store is not at the newest schema: run custody db upgrade on it"
)
NOT_A_STORE = Message("import.not_a_store", "the county file is not a custody store: {reason}")
NOT_VERIFIED = Message("import.not_verified", "the county store does not verify at seq {seq}: {reason}")
TAKEN = Message("import.taken", "the province already holds {what}: {names}")
CONFLICT = Message(
    "import.conflict", "the province already holds a row the county store holds too ({detail})"
)
UNKNOWN_ID = Message(
    "import.unknown_id", "event {seq} ({event_type}) holds {key} = {value}, which the move cannot carry"
)

# tables whose rows stay behind: transient (sessions, login attempts, idempotency keys, demo marks),
# or the county's own (its checkpoints sign the county's tree; they are kept beside the export)
LEFT_BEHIND = frozenset(
    {"idempotency_keys", "login_attempts", "user_sessions", "demo_accounts", "ledger_checkpoints"}
)
# appended, not copied: the ledger and the access log are re-chained
CHAINED = frozenset({"custody_events", "access_log", "scan_receipts"})
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
# lists of objects whose "id" names a row
LISTED_IDS = {"witnesses": "users"}

_units = cast(Table, UnitRow.__table__)
_access = cast(Table, AccessLogRow.__table__)
_events = cast(Table, EventRow.__table__)


@dataclass(frozen=True, slots=True)
class CountyMoved:
    """What a move did: the county's old head and event count, where its events now stand in the
    province's chain, the import event, the province's head after, the rows copied per table, and the
    export kept."""

    county_head: Head
    county_events: int
    first_seq: int
    last_seq: int
    import_seq: int
    head: Head
    rows: Mapping[str, int]
    export: Path
    export_sha256: str


def import_county(county: Store, province: Store, keep: Path) -> CountyMoved:
    """Move the county's store into the province's (see the module's documentation)."""
    try:
        county_current = schema_is_current(county.engine)
    except DatabaseError as error:  # not SQLite at all, or unreadable
        raise ImportRefused(NOT_A_STORE, reason=str(error.orig)[:200]) from None
    if not county_current:
        raise ImportRefused(OLD_SCHEMA, which="county")
    if not schema_is_current(province.engine):
        raise ImportRefused(OLD_SCHEMA, which="provincial")
    verified = verify_ledger(county.engine)
    if not verified.ok:
        raise ImportRefused(NOT_VERIFIED, seq=verified.first_bad_seq or 0, reason=verified.reason or "")
    export, digest = _export(county, verified.head, keep)
    with county.reading() as conn:
        tables = {
            t.name: [dict(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns)).mappings()]
            for t in _copied()
        }
        events = [dict(r) for r in conn.execute(select(_events).order_by(_events.c.seq)).mappings()]
        access = [dict(r) for r in conn.execute(select(_access).order_by(_access.c.seq)).mappings()]
        kept = _table("scan_receipts")
        receipts = [dict(r) for r in conn.execute(select(kept).order_by(kept.c.id)).mappings()]
    move = _Move(tables, events, access, receipts, verified.head, digest, export.name)
    try:
        moved = province.write(move.run)
    except IntegrityError as error:
        detail = str(error.orig).splitlines()[0][:300] if error.orig is not None else "a unique key"
        raise ImportRefused(CONFLICT, detail=detail) from None
    province.units_changed()
    return CountyMoved(verified.head, len(events), *moved, export=export, export_sha256=digest)


def _export(county: Store, head: Head, keep: Path) -> tuple[Path, str]:
    """Write the county's ledger (and its checkpoints) into ``keep``; the export's path and SHA-256."""
    keep.mkdir(parents=True, exist_ok=True)
    path = keep / f"county-ledger-{head.seq}-{head.hash[:16]}.jsonl"
    digest = hashlib.sha256()
    with raw_rows(county.engine) as rows, path.open("w", encoding="utf-8") as out:
        for row in rows:
            line = (
                json.dumps(dict(zip(ALL_COLUMNS, row, strict=True)), ensure_ascii=False, default=str) + "\n"
            )
            out.write(line)
            digest.update(line.encode())
    with county.reading() as conn:
        notes = [r for (r,) in conn.execute(select(_table("ledger_checkpoints").c.note))]
    if notes:
        path.with_suffix(".checkpoints").write_text("\n".join(notes), encoding="utf-8")
    return path, digest.hexdigest()


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def _copied() -> Iterator[Table]:
    """The tables copied row by row, each after the tables it refers to."""
    for table in Base.metadata.sorted_tables:
        if table.name not in LEFT_BEHIND and table.name not in CHAINED:
            yield table


class _Move:
    """The provincial transaction of a move; ``ids``: per table, county id → provincial id."""

    def __init__(
        self,
        tables: dict[str, list[dict[str, Any]]],
        events: list[dict[str, Any]],
        access: list[dict[str, Any]],
        receipts: list[dict[str, Any]],
        county_head: Head,
        digest: str,
        export_name: str,
    ) -> None:
        self.tables, self.events, self.access, self.receipts = tables, events, access, receipts
        self.county_head, self.digest, self.export_name = county_head, digest, export_name
        self.ids: dict[str, dict[Any, Any]] = {}
        self.base = 0

    def run(self, conn: Connection) -> tuple[int, int, int, Head, dict[str, int]]:
        self._refuse_taken(conn)
        self.base = read_head(conn).seq
        counts = {"units": self._units(conn)}
        for table in _copied():
            if table.name != "units":
                counts[table.name] = self._copy(conn, table)
        hashes: dict[int, str] = {}
        for event in self.events:
            hashes[event["seq"]] = append_event(conn, self._event(event)).hash
        counts["custody_events"] = len(self.events)
        root = next((u["code"] for u in self.tables["units"] if u["parent_code"] is None), "")
        first, last = self.base + 1, self.base + len(self.events)
        payload = {
            "county_head": {"seq": self.county_head.seq, "hash": self.county_head.hash},
            "county_events": len(self.events),
            "first_seq": first,
            "last_seq": last,
            "export": self.export_name,
            "export_sha256": self.digest,
            "units": sorted({c["unit_code"] for c in self.tables["cases"]}),
        }
        now = max((e["recorded_at_us"] for e in self.events), default=0)
        imported = record_event(
            conn,
            EventType.STORE_IMPORTED,
            max(now, _now_us()),
            actor_id=None,
            unit_code=root,
            payload=payload,
        )
        self._points(conn, hashes)
        for receipt in self.receipts:
            values = {k: v for k, v in receipt.items() if k != "id"}
            values["seq"] = self.base + receipt["seq"]
            conn.execute(insert(_table("scan_receipts")).values(**values))
        counts["scan_receipts"] = len(self.receipts)
        counts["access_log"] = self._access(conn)
        return first, last, imported.seq, imported, counts

    def _refuse_taken(self, conn: Connection) -> None:
        """Names the province holds already, said together (the unique keys would say one)."""
        for table, column, what in (
            ("users", "username", "usernames"),
            ("stations", "name", "stations"),
            ("items", "evidence_no", "evidence numbers"),
            ("seals", "seal_no", "seal numbers"),
            ("locations", "code", "locations"),
        ):
            names = [row[column] for row in self.tables[table]]
            c = _table(table).c[column]
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
            if not ready:  # a parent the county lacks: the foreign key says which
                ready = pending
            for row in ready:
                conn.execute(insert(_units).values(**row))
                have.add(row["code"])
            pending = [row for row in pending if row["code"] not in have]
        return added

    def _copy(self, conn: Connection, table: Table) -> int:
        rows = self.tables[table.name]
        own = self.ids.setdefault(table.name, {})
        new_id = "id" in table.c and table.c.id.primary_key and table.c.id.autoincrement is not False
        for row in rows:
            values = dict(row)
            for fk in table.foreign_keys:
                name, target = fk.parent.name, fk.column.table.name
                if values.get(name) is not None and target in self.ids and fk.column.name == "id":
                    values[name] = self.ids[target][values[name]]
            for seq_column, _hash in POINTS.get(table.name, ()):
                if values.get(seq_column) is not None:
                    values[seq_column] = self.base + values[seq_column]
            if table.name in SEQUENCES and self._merged(conn, table, values):
                continue
            if new_id:
                old = values.pop("id")
                own[old] = conn.execute(insert(table).values(**values).returning(table.c.id)).scalar_one()
            else:
                conn.execute(insert(table).values(**values))
        return len(rows)

    @staticmethod
    def _merged(conn: Connection, table: Table, values: dict[str, Any]) -> bool:
        """Whether the province numbers the row's unit and year already (then up to the greater)."""
        key = (table.c.unit_code == values["unit_code"]) & (table.c.year == values["year"])
        held = conn.execute(select(table.c.last_sequence).where(key)).scalar()
        if held is None:
            return False
        if held < values["last_sequence"]:
            conn.execute(update(table).where(key).values(last_sequence=values["last_sequence"]))
        return True

    def _event(self, event: dict[str, Any]) -> dict[str, Any]:
        fields = {k: event[k] for k in ALL_COLUMNS if k not in ("seq", "prev_hash", "hash")}
        for column, table in (("item_id", "items"), ("case_id", "cases"), ("actor_id", "users")):
            fields[column] = self._id(event, column, table, fields[column])
        fields["witness_id"] = self._id(event, "witness_id", "users", fields["witness_id"])
        payload = json.loads(event["payload"])
        fields["payload"] = _canonical(self._payload(event, payload, None))
        return fields

    def _id(self, event: dict[str, Any], key: str, table: str, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, list):
            return [self._id(event, key, table, v) for v in value]
        found = self.ids.get(table, {}).get(value) if isinstance(value, int) else None
        if found is None:
            raise ImportRefused(
                UNKNOWN_ID, seq=event["seq"], event_type=event["event_type"], key=key, value=value
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
            elif key == "id" or key.endswith(("_id", "_ids")):
                raise ImportRefused(
                    UNKNOWN_ID, seq=event["seq"], event_type=event["event_type"], key=key, value=str(inner)
                )
            else:
                out[key] = self._payload(event, inner, LISTED_IDS.get(key))
        return out

    def _points(self, conn: Connection, hashes: dict[int, str]) -> None:
        """The ledger points the copied rows hold: their hashes are the re-chained events' now."""
        for name, points in POINTS.items():
            table = _table(name)
            for row in self.tables[name]:
                for seq_column, hash_column in points:
                    if hash_column is not None and row.get(seq_column) is not None:
                        conn.execute(
                            update(table)
                            .where(table.c.id == self.ids[name][row["id"]])
                            .values({hash_column: hashes[row[seq_column]]})
                        )

    def _access(self, conn: Connection) -> int:
        found = conn.execute(
            select(_access.c.seq, _access.c.hash).order_by(_access.c.seq.desc()).limit(1)
        ).first()
        head = Head(0, GENESIS_HASH) if found is None else Head(found[0], found[1])
        for entry in self.access:
            values = {k: v for k, v in entry.items() if k not in ("seq", "prev_hash", "hash_version", "hash")}
            for column, table in (("user_id", "users"), ("station_id", "stations")):
                if values[column] is not None:
                    values[column] = self.ids[table][values[column]]
            row = chained(head, values)
            conn.execute(insert(_access).values(**row))
            head = Head(row["seq"], row["hash"])
        return len(self.access)


def _canonical(payload: Any) -> str:
    from custody.ledger import canonical_payload

    return canonical_payload(payload)


def _now_us() -> int:
    from custody.clock import SystemClock

    return SystemClock().now_us()
