"""Registration at intake (登记): a seized firearm or ammunition lot gets its evidence number and its
first ledger event, in one transaction, on an open case of the clerk's scope."""

from __future__ import annotations

from typing import Any, NamedTuple, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.engine import Connection

from custody.actors import Actor, require_role
from custody.cases import Cases
from custody.clock import china_date
from custody.db.ledger_store import chain_note, leave_note, record_event
from custody.db.prepared import Prepared, PreparedInsert, PreparedRow
from custody.db.tables import ItemRow, NumberSequenceRow
from custody.db.unit_of_work import Also, Store
from custody.errors import Message, TransitionRefused
from custody.intake import AmmunitionIntake, FirearmIntake, clean_text
from custody.model import CaseStatus, EventType, ItemState, Role
from custody.numbers import ItemKind, evidence_number
from custody.records import Case, Item

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
# an item's row: these columns, then those of its kind's intake (one statement per column set)
_ITEM_COLUMNS = ("evidence_no", "kind", "case_id", "unit_code", "state", "version", "registered_at_us")
_ITEM_INSERTS: dict[tuple[str, ...], PreparedRow] = {}


def _item_insert(names: tuple[str, ...]) -> PreparedRow:
    insert = _ITEM_INSERTS[names] = PreparedRow(_items, _ITEM_COLUMNS + names, returning=_items.c.id)
    return insert


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

        names = tuple(columns)
        insert = _ITEM_INSERTS.get(names) or _item_insert(names)
        kind_letter = kind.value

        def change(conn: Connection) -> Item:
            # the case and the sequence the last registration of this transaction read, while the
            # ledger's head is still its event: closing a case or taking a number appends an event
            noted: _Noted | None = chain_note(conn)
            lookup = (case_no, case_unit, actor.unit_code, self.store.units(conn))
            if noted is not None and noted.lookup == lookup:
                case = noted.case
            else:
                case = self.cases.find(conn, actor, case_no, case_unit)
            if case.status is not CaseStatus.OPEN:
                raise TransitionRefused(CASE_NOT_OPEN, case_no=case_no, status=case.status.value)
            now = self.store.now_us()
            unit_code = case.unit_code
            counter = (unit_code, china_date(now).year)
            last = noted.sequence if noted is not None and noted.counter == counter else None
            sequence = next_sequence(conn, *counter, last)
            evidence_no = evidence_number(kind, unit_code, counter[1], sequence)
            row = (evidence_no, kind_letter, case.id, unit_code, _REGISTERED, 1, now, *columns.values())
            item_id = insert.inserted_id(conn, row)
            payload = {
                "evidence_no": evidence_no,
                "kind": kind_letter,
                "case_no": case_no,
                "unit_code": unit_code,
                "registered_at_us": now,
                **columns,
            }
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
            leave_note(conn, _Noted(lookup, case, counter, sequence))
            return Item(
                item_id,
                evidence_no,
                kind,
                case.id,
                unit_code,
                ItemState.REGISTERED,
                1,
                now,
                case_no=case_no,
                **columns,
            )

        return self.store.write(change, also=also)


class _Noted(NamedTuple):
    """What a registration leaves for the next one in its transaction (:func:`leave_note`)."""

    lookup: tuple[str, str | None, str, object]  # case number, its unit, the clerk's unit, the unit tree
    case: Case
    counter: tuple[str, int]  # unit and year of the sequence taken
    sequence: int


def next_sequence(conn: Connection, unit_code: str, year: int, last: int | None = None) -> int:
    """Next evidence-number sequence of a unit and year: gapless, as it is taken under the write lock
    (``last``: the one taken last, known to be the stored one: bumped without reading it back)."""
    key = {"unit": unit_code, "yr": year}
    if last is not None and _BUMP_ONLY.run(conn, key).rowcount == 1:
        bumped: Any = (last + 1,)
    elif conn.dialect.name == "sqlite":
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
