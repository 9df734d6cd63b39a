"""Cases (案件): opened, closed and judged through the case rows of the transition table, and read within
the reader's scope.

A case belongs to the unit that opened it; case numbers are unique per owning unit, so a number is
looked up within the reader's scope (:meth:`Cases.find`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.engine import Connection

from custody import lifecycle
from custody.actors import Actor, require_role
from custody.clock import china_date
from custody.db.ledger_store import record_event
from custody.db.prepared import Prepared
from custody.db.tables import CaseRow, ItemRow
from custody.db.unit_of_work import Also, Store
from custody.errors import AlreadyExists, InvalidInput, Message, UnknownCase
from custody.intake import clean_text
from custody.model import EventType
from custody.records import Case, Item

CASE_EXISTS = Message("case.exists", "case {case_no} of unit {unit_code} exists already")
UNKNOWN_CASE = Message("case.unknown", "unknown case {case_no}")
CASE_AMBIGUOUS = Message(
    "case.ambiguous", "case number {case_no} names cases of several units ({unit_codes}): say which unit"
)

_cases = cast(Table, CaseRow.__table__)
_items = cast(Table, ItemRow.__table__)
_CASE_BY_NUMBER = Prepared(select(_cases).where(_cases.c.case_no == bindparam("case_no")))


class Cases:
    def __init__(self, store: Store) -> None:
        self.store = store

    def open(
        self,
        actor: Actor,
        case_no: str,
        title: str = "",
        unit_code: str | None = None,
        also: Also | None = None,
        category: str | None = None,
        filed_date: str | None = None,
    ) -> Case:
        """Open a case for ``unit_code`` (default: the actor's unit), a unit in the actor's scope
        (``also``: the entry point's own record of it, in the same transaction), of a
        :class:`~custody.model.CaseCategory`, filed (立案) on ``filed_date`` (ISO; default: the day of
        opening in China Standard Time, never later)."""
        row = lifecycle.case_transition_for(EventType.CASE_OPENED)
        require_role(actor, row.roles, "open a case")
        number = clean_text(case_no, "case_no", required=True) or ""
        owner = unit_code or actor.unit_code
        self.store.require_unit(actor, owner, "open cases for unit")
        text = clean_text(title, "title") or ""

        def change(conn: Connection) -> Case:
            # unique per owning unit; the owner is in the actor's scope, so this tells of no other unit's case
            if conn.execute(
                select(_cases.c.id).where(_cases.c.case_no == number, _cases.c.unit_code == owner)
            ).first():
                raise AlreadyExists(CASE_EXISTS, case_no=number, unit_code=owner)
            now = self.store.now_us()
            today = china_date(now)
            payload = {
                "case_no": number,
                "unit_code": owner,
                "title": text,
                "category": category,
                "filed_date": filed_date or today.isoformat(),
            }
            case = lifecycle.opened_case(0, now, payload)
            recorded = row.record(lifecycle.CaseAttempt(row.event, case, actor, payload, today))
            values = {
                "case_no": case.case_no,
                "unit_code": case.unit_code,
                "title": case.title,
                "status": case.status.value,
                "opened_at_us": now,
                "version": case.version,
                "category": recorded["category"],
                "filed_date": recorded["filed_date"],
            }
            case_id = conn.execute(insert(_cases).values(**values)).inserted_primary_key[0]  # type: ignore[index]
            record_event(
                conn,
                row.event,
                now,
                actor_id=actor.id,
                unit_code=actor.unit_code,
                case_id=case_id,
                payload=recorded,
            )
            return lifecycle.opened_case(case_id, now, recorded)

        return self.store.write(change, also=also)

    def close(self, actor: Actor, case_no: str, unit_code: str | None = None) -> Case:
        return self.act(actor, case_no, EventType.CASE_CLOSED, {}, unit_code)

    def judge(
        self, actor: Actor, case_no: str, judgment_no: str, judgment_date: str, unit_code: str | None = None
    ) -> Case:
        payload = lifecycle.judgment({"judgment_no": judgment_no, "judgment_date": judgment_date})
        return self.act(actor, case_no, EventType.CASE_JUDGED, payload, unit_code)

    def solved(self, actor: Actor, case_no: str, solved_date: str, unit_code: str | None = None) -> Case:
        """Record that the case was solved (破案) on ``solved_date`` (ISO, not in the future)."""
        return self.act(actor, case_no, EventType.CASE_SOLVED, {"solved_date": solved_date}, unit_code)

    def correct(
        self,
        actor: Actor,
        case_no: str,
        changes: dict[str, Any],
        reason: str,
        unit_code: str | None = None,
    ) -> Case:
        """Correct the case's category, filed or solved date: a new record beside the earlier one."""
        payload = {"changes": changes, "reason": reason}
        return self.act(actor, case_no, EventType.CASE_CORRECTED, payload, unit_code)

    def act(
        self,
        actor: Actor,
        case_no: str,
        event: EventType,
        payload: dict[str, Any],
        unit_code: str | None = None,
    ) -> Case:
        """Record one act on a case (a row of the transition table); return the case after it."""
        row = lifecycle.case_transition_for(event)
        require_role(actor, row.roles, f"record {event.value}")

        def change(conn: Connection) -> Case:
            case = self.find(conn, actor, case_no, unit_code)
            now = self.store.now_us()
            attempt = lifecycle.CaseAttempt(event, case, actor, payload, china_date(now))
            row.check(attempt)
            recorded = row.record(attempt)
            changes = row.apply(case, recorded)
            conn.execute(update(_cases).where(_cases.c.id == case.id).values(**changes))
            record_event(
                conn,
                event,
                now,
                actor_id=actor.id,
                unit_code=actor.unit_code,
                case_id=case.id,
                payload=recorded,
            )
            return case.changed(changes)

        return self.store.write(change)

    def find(
        self, conn: Connection, viewer: Actor | None, case_no: str, unit_code: str | None = None
    ) -> Case:
        """The case of this number within the viewer's scope (of ``unit_code`` when given).

        Case numbers are unique per owning unit, so several units in one scope may share one: the
        viewer's own unit's case is meant; otherwise the number must name one case in the scope, or
        ``unit_code`` must say whose. A case outside the scope is answered as missing.
        """
        cursor = _CASE_BY_NUMBER.run(conn, {"case_no": case_no})
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        found = [
            row
            for row in rows
            if self.store.sees(viewer, row["unit_code"], conn) and unit_code in (None, row["unit_code"])
        ]
        if len(found) > 1 and viewer is not None:
            own = [row for row in found if row["unit_code"] == viewer.unit_code]
            found = own or found
        if not found:
            raise UnknownCase(UNKNOWN_CASE, case_no=case_no)
        if len(found) > 1:
            units = ", ".join(sorted(row["unit_code"] for row in found))
            raise InvalidInput(CASE_AMBIGUOUS, "unit_code", case_no=case_no, unit_codes=units)
        return Case.from_row(found[0])

    def get(self, viewer: Actor | None, case_no: str, unit_code: str | None = None) -> Case:
        """A case with the items of it that the viewer may see.

        A case belongs to the unit that opened it; an item belongs to the unit that holds it (a transfer
        moves the item, not its case). So the case's view lists the items whose unit is in the viewer's
        scope: a unit that transferred an item away no longer sees it there, and the unit that received
        it sees it (and its history) through the item, not through a case of another unit.
        """
        with self.store.reading() as conn:
            case = self.find(conn, viewer, case_no, unit_code)
            query = select(_items).where(_items.c.case_id == case.id).order_by(_items.c.id)
            scope = self.store.scope_of(viewer, conn)
            if scope is not None:
                query = query.where(_items.c.unit_code.in_(sorted(scope)))
            items = tuple(Item.from_row(r, case.case_no) for r in conn.execute(query).mappings())
        return replace(case, items=items)
