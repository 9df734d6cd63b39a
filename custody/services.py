"""The custody services: every act on a case or an item, checked and recorded in one transaction.

Each write is a short function run by the group-commit :class:`~custody.db.writer.Writer`: load, check
(role, scope, version, lifecycle state, guards), update the current state with a conditional UPDATE on the
version read, append the event to the hash-chained ledger. A refusal raises a
:class:`~custody.errors.CustodyError` and its savepoint is rolled back: nothing of it is written.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any, cast

from sqlalchemy import Engine, Table, bindparam, func, insert, select, update
from sqlalchemy.engine import Connection

from custody import lifecycle
from custody.actors import PROVINCE_CODE, Actor, UnitTree, require_role
from custody.clock import Clock, china_date, from_us
from custody.db.engine import make_engine
from custody.db.ledger_store import append_event, read_head, verify_ledger
from custody.db.prepared import Prepared, PreparedInsert
from custody.db.tables import CaseRow, EventRow, ItemRow, NumberSequenceRow, UnitRow, UserRow
from custody.db.unit_of_work import Store
from custody.errors import (
    AlreadyExists,
    IllegalTransition,
    InvalidInput,
    NotPermitted,
    StaleVersion,
    TransitionRefused,
    UnknownCase,
    UnknownItem,
    UnknownUnit,
    UnknownUser,
    UsernameUnavailable,
)
from custody.intake import AmmunitionIntake, FirearmIntake, clean_text
from custody.ledger import Head, Verification, canonical_payload
from custody.model import CaseStatus, Department, EventType, ItemState, Role
from custody.numbers import EvidenceNumber, ItemKind

_items = cast(Table, ItemRow.__table__)
_cases = cast(Table, CaseRow.__table__)
_users = cast(Table, UserRow.__table__)
_units = cast(Table, UnitRow.__table__)
_events = cast(Table, EventRow.__table__)
_sequences = cast(Table, NumberSequenceRow.__table__)

# Statements built once: the hot paths (intake, acts) only bind parameters to them.
_USER_BY_NAME = select(_users).where(_users.c.username == bindparam("username"))
_CASE_BY_NUMBER = Prepared(select(_cases).where(_cases.c.case_no == bindparam("case_no")))
_ITEM_BY_NUMBER = select(_items).where(_items.c.evidence_no == bindparam("evidence_no"))
_SEQUENCE_WHERE = (_sequences.c.unit_code == bindparam("unit"), _sequences.c.year == bindparam("yr"))
_BUMP_SEQUENCE = Prepared(
    update(_sequences)
    .where(*_SEQUENCE_WHERE)
    .values(last_sequence=_sequences.c.last_sequence + 1)
    .returning(_sequences.c.last_sequence)
)
_FIRST_SEQUENCE = PreparedInsert(_sequences)
_INSERT_ITEM = PreparedInsert(_items, _items.c.id)

CASE_ROLES = frozenset({Role.CLERK, Role.INVESTIGATOR})
INTAKE_ROLES = frozenset({Role.CLERK})


def actor_from_row(row: Mapping[str, Any] | Any) -> Actor:
    return Actor(
        id=row["id"],
        username=row["username"],
        full_name=row["full_name"],
        unit_code=row["unit_code"],
        department=Department(row["department"]),
        roles=frozenset(Role(r) for r in row["roles"].split(",") if r),
    )


class _Lookups:
    """What lifecycle guards may ask, answered inside the act's transaction.

    With ``visible`` (the acting user's scope), a user outside it is answered as missing, so naming a
    receiver or a witness tells nothing about the users one may not see.
    """

    def __init__(self, conn: Connection, visible: Callable[[str], bool] | None = None) -> None:
        self._conn = conn
        self._visible = visible

    def user(self, username: str) -> Actor | None:
        row = self._conn.execute(_USER_BY_NAME, {"username": username}).mappings().first()
        if row is None or not row["active"]:
            return None
        if self._visible is not None and not self._visible(row["unit_code"]):
            return None
        return actor_from_row(row)

    def unit_exists(self, code: str) -> bool:
        return self._conn.execute(select(_units.c.code).where(_units.c.code == code)).first() is not None

    def case_status(self, case_id: int) -> str:
        return str(self._conn.execute(select(_cases.c.status).where(_cases.c.id == case_id)).scalar_one())

    def item_event_type(self, item_id: int, seq: int) -> str | None:
        return self._conn.execute(
            select(_events.c.event_type).where(_events.c.item_id == item_id, _events.c.seq == seq)
        ).scalar_one_or_none()

    def item_with_tag(self, uid: str) -> str | None:
        return self._conn.execute(
            select(_items.c.evidence_no).where(_items.c.tag_uid == uid)
        ).scalar_one_or_none()


class Custody:
    """The custody services over one database. Thread-safe; writes share commits."""

    def __init__(self, engine: Engine, clock: Clock | None = None) -> None:
        self.store = Store(engine, clock)
        self.engine = self.store.engine
        self.clock: Clock = self.store.clock
        self.writer = self.store.writer
        # who acts: passwords, sessions, users, stations and their keys (imported here, not above:
        # custody.stations reads custody.access_log, which reads custody.queries, which reads this module)
        from custody.passwords import Passwords
        from custody.sessions import Sessions
        from custody.station_keys import StationKeys
        from custody.stations import Stations
        from custody.users import Users

        self.passwords = Passwords(self.store)
        self.sessions = Sessions(self.store, self.passwords)
        self.users = Users(self.store, self.passwords)
        self.station_keys = StationKeys(self.store)
        self.stations = Stations(self.store, self.station_keys)

    @classmethod
    def open(cls, url: str, clock: Clock | None = None, **engine_options: Any) -> Custody:
        return cls(make_engine(url, **engine_options), clock)

    def close(self) -> None:
        self.store.close()

    # ------------------------------------------------------------------------------ units and users

    def units(self, conn: Connection | None = None) -> UnitTree:
        """The unit tree (cached; ``conn``: read it on this connection, e.g. inside an act)."""
        return self.store.units(conn)

    def import_units(self, rows: Iterable[Mapping[str, str]]) -> int:
        """Add the units not yet known (parents before children); return how many were added."""
        wanted = [dict(r) for r in rows]

        def act(conn: Connection) -> int:
            known = set(conn.execute(select(_units.c.code)).scalars())
            added = 0
            for row in wanted:
                if row["code"] in known:
                    continue
                parent = row.get("parent") or None
                if parent is not None and parent not in known:
                    raise UnknownUnit(f"unit {row['code']} names unknown parent {parent}")
                conn.execute(
                    insert(_units).values(
                        code=row["code"],
                        parent_code=parent,
                        name_zh=row["name_zh"],
                        name_en=row["name_en"],
                        level=row["level"],
                        note=row.get("note") or "",
                    )
                )
                known.add(row["code"])
                added += 1
            return added

        added = self.writer.submit(act)
        self.store.units_changed()
        return added

    def unit(self, code: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(select(_units).where(_units.c.code == code)).mappings().first()
        if row is None:
            raise UnknownUnit(f"unknown unit {code}")
        return dict(row)

    def user_count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(_users)).scalar_one())

    def add_user(
        self,
        username: str,
        full_name: str,
        unit_code: str,
        department: Department,
        roles: Iterable[Role],
        then: Callable[[Connection, Actor], object] | None = None,
    ) -> Actor:
        """Add a user; ``then`` runs in the same transaction (a first password, a demo mark)."""
        return self.writer.submit(
            lambda conn: self.add_user_in(conn, username, full_name, unit_code, department, roles, then)
        )

    def add_user_in(
        self,
        conn: Connection,
        username: str,
        full_name: str,
        unit_code: str,
        department: Department,
        roles: Iterable[Role],
        then: Callable[[Connection, Actor], object] | None = None,
    ) -> Actor:
        """:meth:`add_user` inside a transaction the caller holds (a writer act)."""
        name = clean_text(username, "username", required=True)
        role_set = sorted({Role(r).value for r in roles})
        if not role_set:
            raise InvalidInput("a user needs at least one role", "roles")
        if not _Lookups(conn).unit_exists(unit_code):
            raise UnknownUnit(f"unknown unit {unit_code}")
        if conn.execute(select(_users.c.id).where(_users.c.username == name)).first():
            raise UsernameUnavailable(str(name))
        values = {
            "username": name,
            "full_name": clean_text(full_name, "full_name", required=True),
            "unit_code": unit_code,
            "department": Department(department).value,
            "roles": ",".join(role_set),
            "active": True,
            "created_at_us": self.clock.now_us(),
        }
        new_id = conn.execute(insert(_users).values(**values)).inserted_primary_key[0]  # type: ignore[index]
        added = actor_from_row({"id": new_id, **values})
        if then is not None:
            then(conn, added)
        return added

    def actor(self, username: str) -> Actor:
        with self.engine.connect() as conn:
            found = _Lookups(conn).user(username)
        if found is None:
            raise UnknownUser(f"unknown or inactive user {username!r}")
        return found

    def _require_scope(self, actor: Actor, unit_code: str, refusal: type[Exception], what: str) -> None:
        if not self.units().within(unit_code, actor.unit_code):
            raise refusal(what)

    # --------------------------------------------------------------------------------------- cases

    def open_case(
        self, actor: Actor, case_no: str, title: str = "", unit_code: str | None = None
    ) -> dict[str, Any]:
        require_role(actor, CASE_ROLES, "open a case")
        number = clean_text(case_no, "case_no", required=True)
        owner = unit_code or actor.unit_code
        if owner not in self.units():
            raise UnknownUnit(f"unknown unit {owner}")
        self._require_scope(
            actor, owner, NotPermitted, f"{actor.username} may not open cases for unit {owner}"
        )
        text = clean_text(title, "title") or ""

        def act(conn: Connection) -> dict[str, Any]:
            # unique per owning unit; the owner is in the actor's scope, so this tells of no other unit's case
            if conn.execute(
                select(_cases.c.id).where(_cases.c.case_no == number, _cases.c.unit_code == owner)
            ).first():
                raise AlreadyExists(f"case {number} of unit {owner} exists already")
            now = self.clock.now_us()
            values = {
                "case_no": number,
                "unit_code": owner,
                "title": text,
                "status": CaseStatus.OPEN.value,
                "opened_at_us": now,
                "version": 1,
            }
            case_id = conn.execute(insert(_cases).values(**values)).inserted_primary_key[0]  # type: ignore[index]
            self._append(
                conn,
                actor,
                EventType.CASE_OPENED,
                now,
                case_id=case_id,
                payload={"case_no": number, "unit_code": owner, "title": text},
            )
            return {"id": case_id, **values}

        return self.writer.submit(act)

    def close_case(self, actor: Actor, case_no: str, unit_code: str | None = None) -> dict[str, Any]:
        return self._case_act(
            actor, case_no, unit_code, EventType.CASE_CLOSED, {CaseStatus.OPEN}, CaseStatus.CLOSED, {}
        )

    def judge_case(
        self, actor: Actor, case_no: str, judgment_no: str, judgment_date: str, unit_code: str | None = None
    ) -> dict[str, Any]:
        number = clean_text(judgment_no, "judgment_no", required=True)
        when = lifecycle.parse_date(judgment_date, "judgment_date").isoformat()
        payload = {"judgment_no": number, "judgment_date": when}
        return self._case_act(
            actor,
            case_no,
            unit_code,
            EventType.CASE_JUDGED,
            {CaseStatus.OPEN, CaseStatus.CLOSED},
            CaseStatus.JUDGED,
            payload,
        )

    def _case_act(
        self,
        actor: Actor,
        case_no: str,
        unit_code: str | None,
        event: EventType,
        sources: set[CaseStatus],
        target: CaseStatus,
        payload: dict[str, Any],
    ) -> dict[str, Any]:
        require_role(actor, CASE_ROLES, f"record {event.value}")

        def act(conn: Connection) -> dict[str, Any]:
            case = self._load_case(conn, actor, case_no, unit_code)
            if CaseStatus(case["status"]) not in sources:
                raise IllegalTransition(f"case {case_no} is {case['status']}: cannot be {event.value}")
            changes = {"status": target.value, "version": case["version"] + 1, **payload}
            conn.execute(update(_cases).where(_cases.c.id == case["id"]).values(**changes))
            self._append(conn, actor, event, self.clock.now_us(), case_id=case["id"], payload=payload)
            return {**case, **changes}

        return self.writer.submit(act)

    def _load_case(
        self, conn: Connection, viewer: Actor | None, case_no: str, unit_code: str | None = None
    ) -> dict[str, Any]:
        """The case of this number within the viewer's scope (of ``unit_code`` when given).

        CaseRow numbers are unique per owning unit, so several units in one scope may share one: the
        viewer's own unit's case is meant; otherwise the number must name one case in the scope, or
        ``unit_code`` must say whose. A case outside the scope is answered as missing.
        """
        cursor = _CASE_BY_NUMBER.run(conn, {"case_no": case_no})
        names = [d[0] for d in cursor.description]
        tree = self.units(conn)
        found = [
            dict(zip(names, row, strict=True))
            for row in cursor.fetchall()
            if (viewer is None or tree.within(row[names.index("unit_code")], viewer.unit_code))
            and (unit_code is None or row[names.index("unit_code")] == unit_code)
        ]
        if len(found) > 1 and viewer is not None:
            own = [case for case in found if case["unit_code"] == viewer.unit_code]
            found = own or found
        if not found:
            raise UnknownCase(f"unknown case {case_no}")
        if len(found) > 1:
            units = ", ".join(sorted(case["unit_code"] for case in found))
            raise InvalidInput(
                f"case number {case_no} names cases of several units ({units}): say which unit", "unit_code"
            )
        return found[0]

    def case(self, case_no: str, viewer: Actor | None = None, unit_code: str | None = None) -> dict[str, Any]:
        """A case with the items of it that the viewer may see.

        A case belongs to the unit that opened it; an item belongs to the unit that holds it (a transfer
        moves the item, not its case). So the case's view lists the items whose unit is in the viewer's
        scope: a unit that transferred an item away no longer sees it there, and the unit that received
        it sees it (and its history) through the item, not through a case of another unit.
        """
        with self.engine.connect() as conn:
            case = self._load_case(conn, viewer, case_no, unit_code)
            query = select(_items).where(_items.c.case_id == case["id"]).order_by(_items.c.id)
            if viewer is not None and viewer.unit_code != PROVINCE_CODE:
                query = query.where(_items.c.unit_code.in_(sorted(self.units(conn).below(viewer.unit_code))))
            case["items"] = [dict(r) for r in conn.execute(query).mappings()]
        return case

    # ---------------------------------------------------------------------------------------- intake

    def register_firearm(
        self,
        actor: Actor,
        case_no: str,
        intake: FirearmIntake,
        station: str = "",
        device: str = "",
        case_unit: str | None = None,
    ) -> dict[str, Any]:
        columns = intake.columns()
        return self._register(actor, case_no, case_unit, ItemKind.FIREARM, columns, station, device)

    def register_ammunition(
        self,
        actor: Actor,
        case_no: str,
        intake: AmmunitionIntake,
        station: str = "",
        device: str = "",
        case_unit: str | None = None,
    ) -> dict[str, Any]:
        columns = intake.columns()
        return self._register(actor, case_no, case_unit, ItemKind.AMMUNITION, columns, station, device)

    def _register(
        self,
        actor: Actor,
        case_no: str,
        case_unit: str | None,
        kind: ItemKind,
        columns: dict[str, Any],
        station: str,
        device: str,
    ) -> dict[str, Any]:
        require_role(actor, INTAKE_ROLES, "register items")

        def act(conn: Connection) -> dict[str, Any]:
            case = self._load_case(conn, actor, case_no, case_unit)
            if case["status"] != CaseStatus.OPEN:
                raise TransitionRefused(
                    f"case {case_no} is {case['status']}: items are registered to open cases"
                )
            now = self.clock.now_us()
            year = china_date(now).year
            number = EvidenceNumber(
                kind, case["unit_code"], year, self._next_sequence(conn, case["unit_code"], year)
            )
            payload = {
                "evidence_no": str(number),
                "kind": kind.value,
                "case_no": case_no,
                "unit_code": case["unit_code"],
                "registered_at_us": now,
                **columns,
            }
            values = {k: v for k, v in payload.items() if k != "case_no"}
            values.update(case_id=case["id"], state=ItemState.REGISTERED.value, version=1)
            item_id = _INSERT_ITEM.run(conn, values).fetchone()[0]
            self._append(
                conn,
                actor,
                EventType.REGISTERED,
                now,
                item_id=item_id,
                case_id=case["id"],
                item_version=1,
                payload=payload,
                station=station,
                device=device,
            )
            return {"id": item_id, "case_no": case_no, **values}

        return self.writer.submit(act)

    @staticmethod
    def _next_sequence(conn: Connection, unit_code: str, year: int) -> int:
        """Next evidence-number sequence of a unit and year: gapless, as it is taken under the write lock."""
        bumped = _BUMP_SEQUENCE.run(conn, {"unit": unit_code, "yr": year}).fetchone()
        if bumped is None:
            _FIRST_SEQUENCE.run(conn, {"unit_code": unit_code, "year": year, "last_sequence": 1})
            return 1
        taken = int(bumped[0])
        if taken > 999_999:  # the bump is rolled back with the refused act
            raise TransitionRefused(f"unit {unit_code} has used every evidence number of {year}")
        return taken

    # ------------------------------------------------------------------------------------ transitions

    def act(
        self,
        actor: Actor,
        evidence_no: str,
        event: EventType,
        expected_version: int,
        payload: Mapping[str, Any] | None = None,
        witness: str | None = None,
        station: str = "",
        device: str = "",
    ) -> dict[str, Any]:
        """Record one lifecycle act on an item read at ``expected_version``; return the item after it."""
        number = str(EvidenceNumber.parse(evidence_no))
        transition = lifecycle.transition_for(event)
        request = dict(payload or {})

        def act(conn: Connection) -> dict[str, Any]:
            item = self._load_item(conn, actor, number)
            if item["version"] != expected_version:
                raise StaleVersion(
                    f"{number} changed since it was read (version {expected_version}, now {item['version']})"
                )
            require_role(actor, transition.roles, f"record {event.value}")
            tree = self.units(conn)
            lookups = _Lookups(conn, lambda unit: tree.within(unit, actor.unit_code))
            witness_actor = self._witness(lookups, tree, item, witness) if witness else None
            now = self.clock.now_us()
            checked = lifecycle.Act(event, item, actor, request, china_date(now), lookups, witness_actor)
            transition.check(checked)
            recorded = transition.record(checked)
            changes = transition.apply(item, recorded)
            if changes:
                done = conn.execute(
                    update(_items)
                    .where(_items.c.id == item["id"], _items.c.version == item["version"])
                    .values(**changes)
                )
                if done.rowcount != 1:
                    raise StaleVersion(f"{number} changed since it was read")
            after = {**item, **changes}
            self._append(
                conn,
                actor,
                event,
                now,
                item_id=item["id"],
                case_id=item["case_id"],
                item_version=after["version"],
                payload=recorded,
                station=station,
                device=device,
                witness_id=witness_actor.id if witness_actor else None,
            )
            return after

        return self.writer.submit(act)

    @staticmethod
    def _witness(lookups: _Lookups, tree: UnitTree, item: Mapping[str, Any], username: str) -> Actor:
        """A witness is a user of the actor's scope (anyone else is answered as missing) who may see
        the item: of its unit or of a unit above it."""
        found = lookups.user(username)
        if found is None:
            raise UnknownUser(f"unknown witness {username}")
        if not tree.within(item["unit_code"], found.unit_code):
            raise TransitionRefused(
                f"witness {username} belongs to unit {found.unit_code}, which does not hold "
                f"{item['evidence_no']}: a witness is of the item's unit or a unit above it"
            )
        return found

    def transfer(
        self, actor: Actor, evidence_no: str, version: int, to_unit: str, reason: str = ""
    ) -> dict[str, Any]:
        return self.act(
            actor, evidence_no, EventType.TRANSFERRED, version, {"to_unit": to_unit, "reason": reason}
        )

    def check_out(
        self, actor: Actor, evidence_no: str, version: int, purpose: str, to: str, due_date: str
    ) -> dict[str, Any]:
        payload = {"purpose": purpose, "to": to, "due_date": due_date}
        return self.act(actor, evidence_no, EventType.CHECKED_OUT, version, payload)

    def return_item(self, actor: Actor, evidence_no: str, version: int, note: str = "") -> dict[str, Any]:
        return self.act(actor, evidence_no, EventType.RETURNED, version, {"note": note})

    def hand_over(
        self, actor: Actor, evidence_no: str, version: int, receiver: str, witness: str | None = None
    ) -> dict[str, Any]:
        return self.act(
            actor, evidence_no, EventType.HANDED_OVER, version, {"receiver": receiver}, witness=witness
        )

    def correct(
        self,
        actor: Actor,
        evidence_no: str,
        version: int,
        changes: dict[str, Any],
        reason: str,
        corrects_seq: int | None = None,
    ) -> dict[str, Any]:
        payload = {"changes": changes, "reason": reason, "corrects_seq": corrects_seq}
        return self.act(actor, evidence_no, EventType.CORRECTED, version, payload)

    def bind_tag(
        self,
        actor: Actor,
        evidence_no: str,
        version: int,
        uid: str,
        tag_type: str = "",
        station: str = "",
        device: str = "",
    ) -> dict[str, Any]:
        """Record that the tag ``uid`` (written with the evidence number) now belongs to the item."""
        payload = {"uid": uid, "tag_type": tag_type}
        event = EventType.TAG_BOUND
        return self.act(actor, evidence_no, event, version, payload, station=station, device=device)

    # ------------------------------------------------------------------------------------------ reads

    def _load_item(self, conn: Connection, viewer: Actor | None, number: str) -> dict[str, Any]:
        row = conn.execute(_ITEM_BY_NUMBER, {"evidence_no": number}).mappings().first()
        if row is None or (
            viewer is not None and not self.units(conn).within(row["unit_code"], viewer.unit_code)
        ):
            raise UnknownItem(f"unknown item {number}")
        return dict(row)

    def item(self, evidence_no: str, viewer: Actor | None = None) -> dict[str, Any]:
        """The item's current state with its case number and full history (events in seq order)."""
        number = str(EvidenceNumber.parse(evidence_no))
        with self.engine.connect() as conn:
            item = self._load_item(conn, viewer, number)
            item["case_no"] = conn.execute(
                select(_cases.c.case_no).where(_cases.c.id == item["case_id"])
            ).scalar_one()
            item["history"] = self.history(conn, item["id"])
        return item

    def history(self, conn: Connection, item_id: int) -> list[dict[str, Any]]:
        names = dict(conn.execute(select(_users.c.id, _users.c.username)).all())
        rows = conn.execute(
            select(_events).where(_events.c.item_id == item_id).order_by(_events.c.seq)
        ).mappings()
        return [event_view(r, names) for r in rows]

    def overdue(self, viewer: Actor | None = None, today: date | None = None) -> list[dict[str, Any]]:
        """Checked-out items whose due date has passed (China Standard Time), oldest first."""
        day = (today or china_date(self.clock.now_us())).isoformat()
        query = (
            select(
                _items.c.evidence_no,
                _items.c.unit_code,
                _items.c.checkout_purpose,
                _items.c.checked_out_to,
                _items.c.due_date,
                _items.c.version,
            )
            .where(_items.c.state == ItemState.CHECKED_OUT.value, _items.c.due_date < day)
            .order_by(_items.c.due_date, _items.c.evidence_no)
        )
        if viewer is not None and viewer.unit_code != PROVINCE_CODE:
            query = query.where(_items.c.unit_code.in_(sorted(self.units().below(viewer.unit_code))))
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    # ----------------------------------------------------------------------------------------- ledger

    def _append(
        self,
        conn: Connection,
        actor: Actor,
        event: EventType,
        now_us: int,
        *,
        payload: dict[str, Any],
        item_id: int | None = None,
        case_id: int | None = None,
        item_version: int | None = None,
        station: str = "",
        device: str = "",
        witness_id: int | None = None,
    ) -> Head:
        return append_event(
            conn,
            {
                "recorded_at_us": now_us,
                "event_type": event.value,
                "item_id": item_id,
                "case_id": case_id,
                "actor_id": actor.id,
                "unit_code": actor.unit_code,
                "station": clean_text(station, "station") or "",
                "device": clean_text(device, "device") or "",
                "witness_id": witness_id,
                "item_version": item_version,
                "payload": canonical_payload(payload),
            },
        )

    def head(self) -> Head:
        with self.engine.connect() as conn:
            return read_head(conn)

    def verify(
        self, expect_head: Head | None = None, expect_history: Mapping[int, str] | None = None
    ) -> Verification:
        return verify_ledger(self.engine, expect_head, expect_history)


def event_view(row: Mapping[str, Any] | Any, usernames: Mapping[int, str]) -> dict[str, Any]:
    return {
        "seq": row["seq"],
        "recorded_at": from_us(row["recorded_at_us"]).isoformat(),
        "event_type": row["event_type"],
        "actor": None if row["actor_id"] is None else usernames.get(row["actor_id"], str(row["actor_id"])),
        "unit_code": row["unit_code"],
        "station": row["station"],
        "device": row["device"],
        "witness": usernames.get(row["witness_id"]) if row["witness_id"] is not None else None,
        "item_version": row["item_version"],
        "payload": json.loads(row["payload"]),
        "hash": row["hash"],
    }
