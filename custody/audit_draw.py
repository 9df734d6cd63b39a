"""The draw of an audit: its candidates ranked per category in the order of the seed
(:mod:`custody.audit_sampling`), the first round drawn, and the escalation of a category's draw after a
round with discrepancies; and who owns what a closing finds."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.engine import Connection

from custody.audit_records import Audit
from custody.audit_sampling import category_of, draw_key, escalation_size, sample_size
from custody.db.audit_tables import AuditCandidateRow
from custody.db.tables import ItemRow, UserRow
from custody.model import AuditCategory, AuditMode, Role
from custody.reconcile import Reconciliation
from custody.records import Item

_candidates = cast(Table, AuditCandidateRow.__table__)
_items = cast(Table, ItemRow.__table__)
_users = cast(Table, UserRow.__table__)


def ranked(
    audit_id: int, seed: str, mode: AuditMode, candidates: Sequence[tuple[int, str, str | None, str | None]]
) -> list[dict[str, Any]]:
    """The candidate rows: ranked per category in the draw order, the first round drawn."""
    by_category: dict[AuditCategory, list[tuple[int, str, str | None, str | None]]] = {}
    for candidate in candidates:
        by_category.setdefault(category_of(candidate[1]), []).append(candidate)
    rows: list[dict[str, Any]] = []
    for category, members in by_category.items():
        members.sort(key=lambda c: draw_key(seed, c[1]))
        take = len(members) if mode is AuditMode.FULL else sample_size(len(members))
        for rank, (item_id, _number, seal_no, location_code) in enumerate(members):
            rows.append(
                {
                    "audit_id": audit_id,
                    "item_id": item_id,
                    "category": category.value,
                    "rank": rank,
                    "drawn_round": 1 if rank < take else None,
                    "seal_no": seal_no,
                    "location_code": location_code,
                }
            )
    return rows


def escalate(conn: Connection, audit: Audit, category: AuditCategory, discrepancies: int) -> int:
    """Draw the next candidates of the category for the next round; how many were drawn."""
    where = (_candidates.c.audit_id == audit.id, _candidates.c.category == category.value)
    population = len(conn.execute(select(_candidates.c.item_id).where(*where)).all())
    more = escalation_size(population, discrepancies)
    if more == 0:
        return 0
    nexts = list(
        conn.execute(
            select(_candidates.c.item_id)
            .where(*where, _candidates.c.drawn_round.is_(None))
            .order_by(_candidates.c.rank)
            .limit(more)
        ).scalars()
    )
    if nexts:
        conn.execute(
            update(_candidates)
            .where(_candidates.c.audit_id == audit.id, _candidates.c.item_id.in_(nexts))
            .values(drawn_round=audit.round + 1)
        )
    return len(nexts)


def owners(conn: Connection, audit: Audit, outcome: Reconciliation, auditor_id: int) -> dict[int | None, int]:
    """Who owns each discrepancy: the custodian holding the item when it is of the audited store, else
    the store's custodian (the one holding most of its candidates), else a custodian of the unit (the
    auditor only when the unit has none). Key None: the
    owner of a discrepancy without an item of the store."""
    item_ids = [d.item_id for d in outcome.discrepancies if d.item_id is not None]
    holders: dict[int | None, int] = {}
    if item_ids:
        for item_id, unit_code, custodian in conn.execute(
            select(_items.c.id, _items.c.unit_code, _items.c.custodian_user_id).where(
                _items.c.id.in_(item_ids)
            )
        ):
            if unit_code == audit.unit_code and custodian is not None:
                holders[item_id] = custodian
    store_custodians = Counter(
        conn.execute(
            select(_items.c.custodian_user_id)
            .join(_candidates, _candidates.c.item_id == _items.c.id)
            .where(_candidates.c.audit_id == audit.id, _items.c.custodian_user_id.is_not(None))
        ).scalars()
    )
    if store_custodians:
        holders[None] = store_custodians.most_common(1)[0][0]
    else:  # an empty store: one of the unit's custodians, who can resolve it (the auditor cannot)
        custodian = conn.execute(
            select(_users.c.id)
            .where(
                _users.c.unit_code == audit.unit_code,
                _users.c.active.is_(True),
                _users.c.roles.like(f"%{Role.CUSTODIAN.value}%"),
            )
            .order_by(_users.c.id)
            .limit(1)
        ).scalar_one_or_none()
        holders[None] = auditor_id if custodian is None else int(custodian)
    return holders


def items_by_id(conn: Connection, item_ids: Sequence[int]) -> dict[int, Item]:
    found: dict[int, Item] = {}
    for start in range(0, len(item_ids), 1000):
        chunk = item_ids[start : start + 1000]
        for row in conn.execute(select(_items).where(_items.c.id.in_(chunk))).mappings():
            found[row["id"]] = Item.from_row(row)
    return found
