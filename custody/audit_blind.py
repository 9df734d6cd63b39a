"""Blind audits: while an auditor's blind audit has a round open, the records of what they are counting
stay hidden from them. An item of the audited store at the audited locations is answered as missing to
that auditor by item reads and searches, and so is a seal lying there, until the round is submitted;
anyone else sees them as usual."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table, and_, not_, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from custody.actors import Actor
from custody.db.audit_tables import AuditLocationRow, AuditRow
from custody.db.tables import ItemRow
from custody.model import AuditStatus, ItemState, Role

_audits = cast(Table, AuditRow.__table__)
_audit_locations = cast(Table, AuditLocationRow.__table__)
_items = cast(Table, ItemRow.__table__)

# what a blind audit hides: (unit, locations — none: the whole store)
Blind = tuple[str, tuple[str, ...]]
_IN_STORE = (ItemState.HANDED_OVER.value, ItemState.SEALED.value)


def blind_scopes(conn: Connection, viewer: Actor | None) -> list[Blind]:
    """What the viewer's open blind audits hide from them (nothing for anyone but their auditor)."""
    if viewer is None or Role.AUDITOR not in viewer.roles:
        return []
    rows = conn.execute(
        select(_audits.c.id, _audits.c.unit_code).where(
            _audits.c.opened_by_id == viewer.id,
            _audits.c.status == AuditStatus.OPEN.value,
            _audits.c.blind.is_(True),
            _audits.c.submitted_round < _audits.c.round,
        )
    ).all()
    scopes: list[Blind] = []
    for audit_id, unit_code in rows:
        places = conn.execute(
            select(_audit_locations.c.location_code).where(_audit_locations.c.audit_id == audit_id)
        ).scalars()
        scopes.append((unit_code, tuple(places)))
    return scopes


def hidden(scopes: Sequence[Blind], unit_code: str, location_code: str | None, in_store: bool = True) -> bool:
    """Whether a thing of the unit's store at ``location_code`` is hidden by one of ``scopes``."""
    for unit, places in scopes:
        if unit != unit_code or not in_store:
            continue
        if not places or (
            location_code is not None
            and any(location_code == p or location_code.startswith(p + "-") for p in places)
        ):
            return True
    return False


def item_hidden(scopes: Sequence[Blind], unit_code: str, location_code: str | None, state: str) -> bool:
    return hidden(scopes, unit_code, location_code, state in _IN_STORE)


def visible_items(scopes: Sequence[Blind]) -> ColumnElement[bool] | None:
    """The condition a listing of items adds so that it shows nothing the scopes hide (None: none)."""
    if not scopes:
        return None
    hiding = []
    for unit, places in scopes:
        where = [_items.c.unit_code == unit, _items.c.state.in_(_IN_STORE)]
        if places:
            where.append(
                or_(
                    *(or_(_items.c.location_code == p, _items.c.location_code.like(p + "-%")) for p in places)
                )
            )
        hiding.append(and_(*where))
    return not_(or_(*hiding))
