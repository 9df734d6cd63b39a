"""Source-and-flow tracing letters (涉枪案件枪弹来源流向协查函): an investigator or a clerk asks another
bureau to trace where a firearm or an ammunition lot of their unit came from and where it went.

:meth:`TracingLetters.issue` writes the letter's issue as an event of the item (one writer act), its
reference number ``{unit code}协查〔{year}〕{n}号`` numbered without gaps per issuing unit and year (China
Standard Time) inside that act, and its payload holding the letter whole: the addressee, the request, and
the item's identifying and source-and-flow fields as they stood. :meth:`TracingLetters.get` reads a
letter back from its event (its ``seq``), so a letter printed again reads the same, with the ledger point
of its issue. A letter about an item outside the reader's scope is unknown.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Table, and_, func, select
from sqlalchemy.engine import Connection

from custody.actors import Actor, require_role
from custody.clock import CHINA, china_date, to_us
from custody.db.tables import CaseRow, EventRow, ItemRow, UnitRow, UserRow
from custody.db.unit_of_work import Store
from custody.errors import Message, NotFound
from custody.intake import clean_text
from custody.items import Items
from custody.lifecycle.table import parse_date
from custody.list_acts import Target
from custody.model import EventType, Role
from custody.numbers import canonical_number
from custody.records import Item
from custody.report_point import ReportPoint, point_in

UNKNOWN_LETTER = Message("tracing.unknown_letter", "no tracing letter is ledger event {seq}")
DEFAULT_REQUEST = "请协助查明该枪支（弹药）的来源和流向，并将查明情况函复我单位。"
LETTER_ROLES = frozenset({Role.INVESTIGATOR, Role.CLERK})
# what the letter says of the item: its identifying fields, then where it came from and went
ITEM_FIELDS = (
    "evidence_no",
    "kind",
    "description",
    "firearm_type",
    "make_model",
    "serial_number",
    "calibre",
    "quantity_rounds",
    "headstamp_lot",
    "source_maker",
    "source_workshop",
    "source_route",
    "source_seller",
    "source_notes",
)

_events = cast(Table, EventRow.__table__)
_items = cast(Table, ItemRow.__table__)
_cases = cast(Table, CaseRow.__table__)
_units = cast(Table, UnitRow.__table__)
_users = cast(Table, UserRow.__table__)


@dataclass(frozen=True, slots=True)
class TracingLetter:
    """A tracing letter as issued: its reference, who sent it from which unit and when, to whom, what
    it asks, the item as it stood (``item``: field name → value, in :data:`ITEM_FIELDS` order), its
    case, and the ledger point of its issue (``point.seq`` is the letter's own event)."""

    reference: str
    issued_at_us: int
    issued_by: str
    issued_by_name: str
    unit_code: str
    unit_name: str
    addressee: str
    request: str
    reply_by: str | None
    case_no: str
    item: tuple[tuple[str, str | int | None], ...]
    point: ReportPoint


class TracingLetters:
    """Tracing letters: issued as events of their items, read back from them."""

    def __init__(self, store: Store, items: Items) -> None:
        self.store = store
        self.items = items

    def issue(
        self,
        actor: Actor,
        evidence_no: str,
        addressee: str,
        request: str = "",
        reply_by: str | None = None,
    ) -> TracingLetter:
        """Issue a letter about a firearm or an ammunition lot in the actor's scope to ``addressee``."""
        require_role(actor, LETTER_ROLES, "send tracing letters")
        number = canonical_number(evidence_no)
        to = clean_text(addressee, "addressee", required=True) or ""
        asked = clean_text(request, "request") or DEFAULT_REQUEST
        due = None if reply_by is None else parse_date(reply_by, "reply_by").isoformat()

        def prepare(conn: Connection, loaded: Sequence[Item]) -> dict[str, Any]:
            (item,) = loaded
            return {
                "reference": self._next_reference(conn, actor.unit_code),
                "addressee": to,
                "request": asked,
                "reply_by": due,
                "item": {name: _field(item, name) for name in ITEM_FIELDS},
            }

        self.items.item(actor, number)  # outside the actor's scope: unknown, as if there were none
        targets: list[Target] = [(number, None)]
        (acted,) = self.items.act_list(actor, EventType.TRACING_LETTER, targets, prepare)
        return self.get(actor, acted.head.seq)

    def get(self, viewer: Actor | None, seq: int) -> TracingLetter:
        """The letter that ledger event ``seq`` issued, if its item is in the viewer's scope."""
        if viewer is not None:
            require_role(viewer, LETTER_ROLES, "read tracing letters")
        with self.store.reading() as conn:
            row = (
                conn.execute(
                    select(
                        _events.c.payload,
                        _events.c.recorded_at_us,
                        _events.c.unit_code,
                        _items.c.unit_code.label("item_unit"),
                        _cases.c.case_no,
                        _users.c.username,
                        _users.c.full_name,
                        _units.c.name_zh.label("unit_name"),
                    )
                    .join(_items, _items.c.id == _events.c.item_id)
                    .join(_cases, _cases.c.id == _items.c.case_id)
                    .join(_users, _users.c.id == _events.c.actor_id)
                    .join(_units, _units.c.code == _events.c.unit_code)
                    .where(_events.c.seq == seq, _events.c.event_type == EventType.TRACING_LETTER.value)
                )
                .mappings()
                .first()
            )
            if row is None or (viewer is not None and not self.store.sees(viewer, row["item_unit"], conn)):
                raise NotFound(UNKNOWN_LETTER, seq=seq)
            point = point_in(conn, seq)
        letter = json.loads(row["payload"])
        return TracingLetter(
            reference=letter["reference"],
            issued_at_us=int(row["recorded_at_us"]),
            issued_by=row["username"],
            issued_by_name=row["full_name"],
            unit_code=row["unit_code"],
            unit_name=row["unit_name"],
            addressee=letter["addressee"],
            request=letter["request"],
            reply_by=letter.get("reply_by"),
            case_no=row["case_no"],
            item=tuple((name, letter["item"].get(name)) for name in ITEM_FIELDS),
            point=point,
        )

    def _next_reference(self, conn: Connection, unit_code: str) -> str:
        """The next reference of the unit's letters this year (inside the writer's transaction, which
        holds the ledger's write lock: two letters never take the same number)."""
        year = china_date(self.store.now_us()).year
        start = to_us(datetime(year, 1, 1, tzinfo=CHINA))
        sent = conn.execute(
            select(func.count()).where(
                and_(
                    _events.c.event_type == EventType.TRACING_LETTER.value,
                    _events.c.unit_code == unit_code,
                    _events.c.recorded_at_us >= start,
                )
            )
        ).scalar_one()
        return f"{unit_code}协查〔{year}〕{int(sent) + 1}号"


def _field(item: Item, name: str) -> str | int | None:
    value = getattr(item, name)
    if isinstance(value, StrEnum):
        return value.value
    if value is None or isinstance(value, int | str):
        return value
    return str(value)
