"""Registration at intake (登记): a seized firearm or ammunition lot gets its evidence number and its
first ledger event, in one transaction, on an open case of the clerk's scope."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.engine import Connection

from custody.actors import Actor, require_role
from custody.cases import Cases
from custody.clock import china_date
from custody.db.ledger_store import record_event
from custody.db.prepared import Prepared, PreparedInsert
from custody.db.tables import ItemRow, NumberSequenceRow
from custody.db.unit_of_work import Also, Store
from custody.errors import Message, TransitionRefused
from custody.intake import AmmunitionIntake, FirearmIntake, clean_text
from custody.model import CaseStatus, EventType, ItemState, Role
from custody.numbers import EvidenceNumber, ItemKind
from custody.records import Item

CASE_NOT_OPEN = Message(
    "item.case_not_open", "case {case_no} is {status}: items are registered to open cases"
)
NUMBERS_USED_UP = Message("item.numbers_used_up", "unit {unit_code} has used every evidence number of {year}")

_items = cast(Table, ItemRow.__table__)
_sequences = cast(Table, NumberSequenceRow.__table__)

# Statements built once: intake only binds parameters to them.
_SEQUENCE_WHERE = (_sequences.c.unit_code == bindparam("unit"), _sequences.c.year == bindparam("yr"))
# bumped and read in one statement (the bump of a refused act is rolled back with its savepoint); on
# SQLite bumped, then read: cheaper there than its RETURNING (see custody.db.prepared)
_BUMP = update(_sequences).where(*_SEQUENCE_WHERE).values(last_sequence=_sequences.c.last_sequence + 1)
_BUMP_SEQUENCE = Prepared(_BUMP.returning(_sequences.c.last_sequence))
_BUMP_ONLY = Prepared(_BUMP)
_READ_SEQUENCE = Prepared(select(_sequences.c.last_sequence).where(*_SEQUENCE_WHERE))
_FIRST_SEQUENCE = PreparedInsert(_sequences)
_INSERT_ITEM = PreparedInsert(_items, _items.c.id)

INTAKE_ROLES = frozenset({Role.CLERK})
_REGISTERED = ItemState.REGISTERED.value


class Registration:
    """Intake: the part of :class:`custody.items.Items` that makes items."""

    def __init__(self, store: Store, cases: Cases) -> None:
        self.store = store
        self.cases = cases

    def register_firearm(
        self,
        actor: Actor,
        case_no: str,
        intake: FirearmIntake,
        station: str = "",
        device: str = "",
        case_unit: str | None = None,
        also: Also | None = None,
    ) -> Item:
        columns = intake.columns()
        return self._register(actor, case_no, case_unit, ItemKind.FIREARM, columns, station, device, also)

    def register_ammunition(
        self,
        actor: Actor,
        case_no: str,
        intake: AmmunitionIntake,
        station: str = "",
        device: str = "",
        case_unit: str | None = None,
        also: Also | None = None,
    ) -> Item:
        columns = intake.columns()
        return self._register(actor, case_no, case_unit, ItemKind.AMMUNITION, columns, station, device, also)

    def _register(
        self,
        actor: Actor,
        case_no: str,
        case_unit: str | None,
        kind: ItemKind,
        columns: dict[str, Any],
        station: str,
        device: str,
        also: Also | None = None,
    ) -> Item:
        require_role(actor, INTAKE_ROLES, "register items")
        station = clean_text(station, "station") or ""
        device = clean_text(device, "device") or ""

        def change(conn: Connection) -> Item:
            case = self.cases.find(conn, actor, case_no, case_unit)
            if case.status is not CaseStatus.OPEN:
                raise TransitionRefused(CASE_NOT_OPEN, case_no=case_no, status=case.status.value)
            now = self.store.now_us()
            year = china_date(now).year
            number = EvidenceNumber(kind, case.unit_code, year, next_sequence(conn, case.unit_code, year))
            evidence_no = str(number)
            payload = {
                "evidence_no": evidence_no,
                "kind": kind.value,
                "case_no": case_no,
                "unit_code": case.unit_code,
                "registered_at_us": now,
                **columns,
            }
            values = {**payload, "case_id": case.id, "state": _REGISTERED, "version": 1}
            del values["case_no"]
            item_id = _INSERT_ITEM.inserted_id(conn, values)
            record_event(
                conn,
                EventType.REGISTERED,
                now,
                actor_id=actor.id,
                unit_code=actor.unit_code,
                item_id=item_id,
                case_id=case.id,
                item_version=1,
                payload=payload,
                station=station,
                device=device,
            )
            return Item(
                item_id,
                evidence_no,
                kind,
                case.id,
                case.unit_code,
                ItemState.REGISTERED,
                1,
                now,
                case_no=case_no,
                **columns,
            )

        return self.store.write(change, also=also)


def next_sequence(conn: Connection, unit_code: str, year: int) -> int:
    """Next evidence-number sequence of a unit and year: gapless, as it is taken under the write lock."""
    key = {"unit": unit_code, "yr": year}
    if conn.dialect.name == "sqlite":
        bumped = _READ_SEQUENCE.run(conn, key).fetchone() if _BUMP_ONLY.run(conn, key).rowcount else None
    else:
        bumped = _BUMP_SEQUENCE.run(conn, key).fetchone()
    if bumped is None:
        _FIRST_SEQUENCE.run(conn, {"unit_code": unit_code, "year": year, "last_sequence": 1})
        return 1
    taken = int(bumped[0])
    if taken > 999_999:  # the bump is rolled back with the refused act
        raise TransitionRefused(NUMBERS_USED_UP, unit_code=unit_code, year=year)
    return taken
