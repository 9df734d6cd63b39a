"""Destruction applications (报请销毁): a city's sealed store (or the province's, for its own store)
applies to the province for the destruction of sealed items of its subtree.

Each act is one writer act over every item of the application (:meth:`custody.items.Items.act_list`):

* :meth:`Applications.apply`: a custodian of a city-level unit (or of the province) names sealed items;
  every item is checked by the ``nominated`` row (:mod:`custody.lifecycle.destruction`), every refusal
  names its item and reason, and either the application and every item's ``nominated`` event are
  written, or nothing;
* :meth:`Applications.withdraw`: its applicant withdraws it (``application_withdrawn``: back to sealed);
* :meth:`Applications.refuse`: a provincial destruction officer refuses it with a reason
  (``application_refused``: back to sealed).

An application concerns the units of its applicant and of its items: outside them it is answered as
missing. A provincial batch (later) takes open
applications whole; their status becomes ``batched``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.engine import Connection

from custody.actors import PROVINCE_CODE, Actor, require_province, require_role
from custody.clock import from_us
from custody.db.batch_tables import DestructionBatchApplicationRow
from custody.db.destruction_tables import DestructionApplicationItemRow, DestructionApplicationRow
from custody.db.tables import ItemRow, UnitRow, UserRow
from custody.db.unit_of_work import UNKNOWN_UNIT, Store
from custody.errors import Message, NotPermitted, TransitionRefused, UnknownApplication, UnknownUnit
from custody.intake import clean_text
from custody.items import Items
from custody.list_acts import Acted, Target
from custody.model import ApplicationStatus, EventType, ItemState, Role, UnitLevel
from custody.numbers import ItemKind

UNKNOWN_APPLICATION = Message(
    "destruction.unknown_application", "unknown destruction application {application_id}"
)
NOT_OWN_UNIT = Message(
    "destruction.not_own_unit",
    "{username} belongs to unit {own_unit}: a custodian applies for the store of their own unit, "
    "not {unit_code}",
)
NOT_CITY_LEVEL = Message(
    "destruction.not_city_level",
    "unit {unit_code} is a {level} unit: a city-level unit applies to the province for destruction (or the "
    "province for its own store); its city applies for it",
)
NOT_APPLICANT = Message(
    "destruction.not_applicant",
    "destruction application {application_id} was made by {applicant}: only its applicant withdraws it",
)
APPLICATION_DECIDED = Message(
    "destruction.application_decided", "destruction application {application_id} is {status}: it is decided"
)

APPLY_ROLES = frozenset({Role.CUSTODIAN})
REFUSE_ROLES = frozenset({Role.DESTRUCTION_OFFICER})
READ_ROLES = frozenset({Role.CUSTODIAN, Role.AUDITOR, Role.DESTRUCTION_OFFICER, Role.ADMIN})

_applications = cast(Table, DestructionApplicationRow.__table__)
_batch_applications = cast(Table, DestructionBatchApplicationRow.__table__)
_application_items = cast(Table, DestructionApplicationItemRow.__table__)
_items = cast(Table, ItemRow.__table__)
_units = cast(Table, UnitRow.__table__)
_users = cast(Table, UserRow.__table__)


@dataclass(frozen=True, slots=True)
class ApplicationItem:
    evidence_no: str
    kind: ItemKind
    state: ItemState
    unit_code: str
    seal_no: str | None


@dataclass(frozen=True, slots=True)
class Application:
    """A destruction application as it stands, with the items it names."""

    id: int
    unit_code: str
    applicant: str
    created_at: str  # ISO 8601, UTC
    status: ApplicationStatus
    reason: str
    decided_by: str | None
    decided_at: str | None
    decision_reason: str | None
    items: tuple[ApplicationItem, ...]
    batch_id: int | None = None  # the provincial batch that took it (batched)


class Applications:
    """Destruction applications, each act one transaction over every item it names."""

    def __init__(self, store: Store, items: Items) -> None:
        self.store = store
        self.items = items

    def apply(
        self, actor: Actor, unit_code: str, evidence_nos: Sequence[str], reason: str = ""
    ) -> Application:
        """Apply, for the store of ``unit_code`` (the actor's own, a city or the province), for the
        destruction of the sealed items named. Returns the open application."""
        require_role(actor, APPLY_ROLES, "apply for destruction")
        why = clean_text(reason, "reason") or ""
        with self.store.reading() as conn:
            self._check_applicant(conn, actor, unit_code)
        made: dict[str, int] = {}

        def prepare(conn: Connection, _items: Sequence[Any]) -> Mapping[str, Any]:
            made["id"] = conn.execute(
                insert(_applications)
                .values(
                    unit_code=unit_code,
                    applicant_id=actor.id,
                    created_at_us=self.store.now_us(),
                    status=ApplicationStatus.OPEN.value,
                    reason=why,
                )
                .returning(_applications.c.id)
            ).scalar_one()
            return {"application_id": made["id"], "unit_code": unit_code}

        def record(conn: Connection, acted: Sequence[Acted]) -> None:
            rows = [{"application_id": made["id"], "item_id": each.item.id} for each in acted]
            conn.execute(insert(_application_items), rows)

        targets: list[Target] = [(number, None) for number in evidence_nos]
        self.items.act_list(actor, EventType.NOMINATED, targets, prepare, also=record)
        return self.get(actor, made["id"])

    def withdraw(self, actor: Actor, application_id: int, reason: str = "") -> Application:
        """Its applicant withdraws the open application: its items are sealed again, as they were."""
        require_role(actor, APPLY_ROLES, "withdraw destruction applications")
        found = self.get(actor, application_id)
        if found.applicant != actor.username:
            raise NotPermitted(NOT_APPLICANT, application_id=application_id, applicant=found.applicant)
        payload = {"application_id": application_id, "reason": clean_text(reason, "reason") or ""}
        return self._decide(
            actor, found, EventType.APPLICATION_WITHDRAWN, ApplicationStatus.WITHDRAWN, payload
        )

    def refuse(self, actor: Actor, application_id: int, reason: str) -> Application:
        """A provincial destruction officer refuses the open application, with a reason: its items are
        sealed again."""
        require_province(actor, REFUSE_ROLES, "refuse destruction applications")
        why = clean_text(reason, "reason", required=True) or ""
        found = self.get(actor, application_id)
        payload = {"application_id": application_id, "reason": why}
        return self._decide(actor, found, EventType.APPLICATION_REFUSED, ApplicationStatus.REFUSED, payload)

    def get(self, viewer: Actor | None, application_id: int) -> Application:
        """The application with its items, if it concerns the viewer (:func:`_concerns`)."""
        if viewer is not None:
            require_role(viewer, READ_ROLES, "read destruction applications")
        with self.store.reading() as conn:
            found = _read(conn, application_id)
            if found is None or not _concerns(self.store, conn, viewer, found, None):
                raise UnknownApplication(UNKNOWN_APPLICATION, application_id=application_id)
            return found

    def list(
        self, viewer: Actor, unit_code: str | None = None, status: ApplicationStatus | None = None
    ) -> list[Application]:
        """The applications that concern the viewer (and ``unit_code`` and the units below it, when
        given), newest first."""
        require_role(viewer, READ_ROLES, "read destruction applications")
        query = select(_applications.c.id).order_by(_applications.c.id.desc())
        if status is not None:
            query = query.where(_applications.c.status == status.value)
        with self.store.reading() as conn:
            if unit_code is not None and unit_code not in self.store.units(conn, need=(unit_code,)):
                raise UnknownUnit(UNKNOWN_UNIT, unit_code=unit_code)
            ids = list(conn.execute(query).scalars())
            found = (_read(conn, application_id) for application_id in ids)
            return [a for a in found if a is not None and _concerns(self.store, conn, viewer, a, unit_code)]

    # ------------------------------------------------------------------------------------- inside

    def _check_applicant(self, conn: Connection, actor: Actor, unit_code: str) -> None:
        """The applicant is a custodian of the applying unit, a city-level unit or the province."""
        self.store.require_unit(actor, unit_code, "apply for destruction for unit", conn)
        if actor.unit_code != unit_code:
            raise NotPermitted(
                NOT_OWN_UNIT, username=actor.username, own_unit=actor.unit_code, unit_code=unit_code
            )
        level = conn.execute(select(_units.c.level).where(_units.c.code == unit_code)).scalar_one()
        if unit_code != PROVINCE_CODE and level != UnitLevel.CITY.value:
            raise NotPermitted(NOT_CITY_LEVEL, unit_code=unit_code, level=level)

    def _decide(
        self,
        actor: Actor,
        found: Application,
        event: EventType,
        status: ApplicationStatus,
        payload: Mapping[str, Any],
    ) -> Application:
        if found.status is not ApplicationStatus.OPEN:
            raise TransitionRefused(APPLICATION_DECIDED, application_id=found.id, status=found.status.value)

        def record(conn: Connection, _acted: Sequence[Acted]) -> None:
            changed = conn.execute(
                update(_applications)
                .where(_applications.c.id == found.id, _applications.c.status == ApplicationStatus.OPEN.value)
                .values(
                    status=status.value,
                    decided_at_us=self.store.now_us(),
                    decided_by_id=actor.id,
                    decision_reason=payload["reason"],
                )
            )
            if changed.rowcount != 1:
                raise TransitionRefused(APPLICATION_DECIDED, application_id=found.id, status="decided")

        targets: list[Target] = [(item.evidence_no, None) for item in found.items]
        self.items.act_list(actor, event, targets, payload, also=record)
        return self.get(actor, found.id)


def _concerns(
    store: Store, conn: Connection, viewer: Actor | None, found: Application, unit_code: str | None
) -> bool:
    """The application concerns the viewer (and ``unit_code``, when given): its unit, or the unit of one
    of its items, lies in the viewer's scope (and below ``unit_code``). A county sees the applications
    naming its items; a unit beside it sees none of them."""
    units = {found.unit_code, *(i.unit_code for i in found.items)}
    tree = store.units(conn, fresh=True)
    return any(
        store.sees(viewer, unit, conn) and (unit_code is None or tree.within(unit, unit_code))
        for unit in units
    )


def _read(conn: Connection, application_id: int) -> Application | None:
    applicant = _users.alias("applicant")
    decider = _users.alias("decider")
    row = (
        conn.execute(
            select(
                _applications,
                applicant.c.username.label("applicant"),
                decider.c.username.label("decided_by"),
                _batch_applications.c.batch_id,
            )
            .join(applicant, applicant.c.id == _applications.c.applicant_id)
            .outerjoin(decider, decider.c.id == _applications.c.decided_by_id)
            .outerjoin(_batch_applications, _batch_applications.c.application_id == _applications.c.id)
            .where(_applications.c.id == application_id)
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    items = conn.execute(
        select(_items.c.evidence_no, _items.c.kind, _items.c.state, _items.c.unit_code, _items.c.seal_no)
        .join(_application_items, _application_items.c.item_id == _items.c.id)
        .where(_application_items.c.application_id == application_id)
        .order_by(_items.c.evidence_no)
    )
    decided = row["decided_at_us"]
    return Application(
        id=row["id"],
        unit_code=row["unit_code"],
        applicant=row["applicant"],
        created_at=from_us(row["created_at_us"]).isoformat(),
        status=ApplicationStatus(row["status"]),
        reason=row["reason"],
        decided_by=row["decided_by"],
        decided_at=None if decided is None else from_us(decided).isoformat(),
        decision_reason=row["decision_reason"],
        items=tuple(
            ApplicationItem(i.evidence_no, ItemKind(i.kind), ItemState(i.state), i.unit_code, i.seal_no)
            for i in items
        ),
        batch_id=row["batch_id"],
    )
