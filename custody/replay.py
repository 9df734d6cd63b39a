"""Rebuild every item's, case's and handover's state from the ledger and compare it with the stored state.

The ledger is the record; the ``items``, ``cases`` and ``handovers`` rows are a cache of it. Replay folds
each event through its row of the transition table (:mod:`custody.lifecycle`), the same effects the
services apply, for items and cases alike; so any difference means the stored state was changed outside
the services (or an event is missing). A handover is rebuilt from its items' events (``handover_id`` in
their payload): who it was offered to, which items, what became of it. The one-step handover of older
ledgers (``handed_over``) replays through its own row: offered and accepted at once, with no handover row.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from sqlalchemy import select

from custody import lifecycle
from custody.db.storage_tables import HandoverItemRow, HandoverRow
from custody.db.tables import CaseRow, EventRow, ItemRow
from custody.db.unit_of_work import Store
from custody.lifecycle.samples import FIRST_EVENTS, made_item
from custody.model import EventType, HandoverStatus
from custody.progress import Progress, counted
from custody.records import Case, Item

_items = ItemRow.__table__
_cases = CaseRow.__table__
_events = EventRow.__table__
_handovers = HandoverRow.__table__
_handover_items = HandoverItemRow.__table__

ITEM_FIELDS = (
    "evidence_no",
    "kind",
    "case_id",
    "unit_code",
    "state",
    "version",
    "quantity_rounds",
    "checkout_purpose",
    "checked_out_to",
    "due_date",
    "custodian_user_id",
    "tag_uid",
    "checked_out_from",
    "seal_no",
    "location_code",
    "sample_of_item_id",
    *lifecycle.CORRECTABLE_FIELD_NAMES,
    *lifecycle.SEAL_FIELDS,
    *lifecycle.REVIEW_FIELDS,
)
CASE_FIELDS = ("status", "version", "judgment_no", "judgment_date", "category", "filed_date", "solved_date")
HANDOVER_FIELDS = ("status", "custodian_id", "refusal_reason", "items")
_HANDOVER_STATUS = {
    EventType.HANDOVER_OFFERED: HandoverStatus.OFFERED,
    EventType.HANDOVER_ACCEPTED: HandoverStatus.ACCEPTED,
    EventType.HANDOVER_REFUSED: HandoverStatus.REFUSED,
}


@dataclass
class _Handover:
    """A handover as its items' events leave it."""

    custodian_id: int
    status: HandoverStatus = HandoverStatus.OFFERED
    refusal_reason: str | None = None
    items: set[int] = field(default_factory=set)

    def fold(self, event: EventType, item_id: int, payload: dict[str, Any]) -> None:
        self.status = _HANDOVER_STATUS[event]
        if event is EventType.HANDOVER_OFFERED:
            self.items.add(item_id)
        elif event is EventType.HANDOVER_REFUSED:
            self.refusal_reason = payload["reason"]


@dataclass(frozen=True)
class Difference:
    subject: str  # "item F…" or "case …"
    field: str
    stored: Any
    replayed: Any

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "field": self.field,
            "stored": self.stored,
            "replayed": self.replayed,
        }


def _stream(store: Store) -> Iterator[Any]:
    columns = (
        _events.c.seq,
        _events.c.recorded_at_us,
        _events.c.event_type,
        _events.c.item_id,
        _events.c.case_id,
        _events.c.item_version,
        _events.c.payload,
    )
    with store.reading() as conn:
        result = conn.execution_options(yield_per=10_000).execute(select(*columns).order_by(_events.c.seq))
        yield from result


def replay(store: Store, progress: Progress | None = None) -> tuple[int, list[Difference]]:
    """Fold the whole ledger; return how many events were replayed and every difference found
    (``progress``: told the number of events replayed, every :data:`custody.progress.EVERY`)."""
    items: dict[int, Item] = {}
    cases: dict[int, Case] = {}
    handovers: dict[int, _Handover] = {}
    count = 0
    unmatched: list[Difference] = []
    rows = counted(_stream(store), progress)
    for seq, recorded_at_us, event_type, item_id, case_id, item_version, payload_text in rows:
        count += 1
        event = EventType(event_type)
        payload = json.loads(payload_text)
        case_row = lifecycle.CASE_TRANSITIONS.get(event)
        if case_row is not None:
            if event is EventType.CASE_OPENED:
                cases[case_id] = lifecycle.opened_case(case_id, recorded_at_us, payload)
            elif case_id in cases:  # a case event before its opening: the case is reported as stored only
                cases[case_id] = cases[case_id].changed(case_row.apply(cases[case_id], payload))
        elif item_id is None:
            continue  # an event about no item (a station's sighting of an unknown code, …): no state
        elif event is EventType.REGISTERED:
            items[item_id] = lifecycle.registered_item(item_id, case_id, item_version, payload)
        elif event in FIRST_EVENTS:  # a sample made at a test-fire, a lot split off another
            items[item_id] = made_item(item_id, case_id, item_version, payload)
        elif item_id not in items:
            unmatched.append(Difference(f"event seq {seq}", "item_id", item_id, "no registration before it"))
        else:
            item = items[item_id]
            items[item_id] = item.changed(lifecycle.transition_for(event).apply(item, payload))
            if event in _HANDOVER_STATUS:
                handover = handovers.setdefault(
                    payload["handover_id"], _Handover(payload.get("receiver_id", 0))
                )
                handover.fold(event, item_id, payload)
    differences = unmatched
    with store.reading() as conn:
        for row in conn.execute(select(_items)).mappings():
            _compare(differences, f"item {row['evidence_no']}", ITEM_FIELDS, row, items.pop(row["id"], None))
        for row in conn.execute(select(_cases)).mappings():
            _compare(
                differences,
                f"case {row['case_no']} of unit {row['unit_code']}",
                CASE_FIELDS,
                row,
                cases.pop(row["id"], None),
            )
        _compare_handovers(conn, differences, handovers)
    differences += [Difference(f"item id {k}", "*", None, "in ledger only") for k in items]
    differences += [Difference(f"case id {k}", "*", None, "in ledger only") for k in cases]
    return count, differences


def _compare_handovers(conn: Any, out: list[Difference], replayed: dict[int, _Handover]) -> None:
    held: dict[int, set[int]] = {}
    for handover_id, item_id in conn.execute(
        select(_handover_items.c.handover_id, _handover_items.c.item_id)
    ):
        held.setdefault(handover_id, set()).add(item_id)
    for row in conn.execute(select(_handovers)).mappings():
        stored = {**row, "items": held.pop(row["id"], set())}
        _compare(out, f"handover {row['id']}", HANDOVER_FIELDS, stored, replayed.pop(row["id"], None))
    out += [Difference(f"handover {k}", "*", None, "in ledger only") for k in replayed]
    out += [Difference(f"handover {k}", "items", "stored", "no handover row") for k in held]


def _compare(
    out: list[Difference],
    subject: str,
    fields: tuple[str, ...],
    stored: Any,
    replayed: Item | Case | _Handover | None,
) -> None:
    if replayed is None:
        out.append(Difference(subject, "*", "stored", "no events in the ledger"))
        return
    for name in fields:
        value = getattr(replayed, name)
        if stored[name] != value:
            out.append(Difference(subject, name, _plain(stored[name]), _plain(value)))


def _plain(value: Any) -> Any:
    """A value as JSON shows it (an enum as its text, a set of ids as a sorted list)."""
    if isinstance(value, set):
        return sorted(value)
    return value.value if isinstance(value, Enum) else value
