"""Rebuild every item's and case's state from the ledger and compare it with the stored state.

The ledger is the record; the ``items`` and ``cases`` rows are a cache of it. Replay folds each event
through its row of the transition table (:mod:`custody.lifecycle`), the same effects the services apply,
for items and cases alike; so any difference means the stored state was changed outside the services
(or an event is missing).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import select

from custody import lifecycle
from custody.db.tables import CaseRow, EventRow, ItemRow
from custody.db.unit_of_work import Store
from custody.model import EventType
from custody.progress import Progress, counted
from custody.records import Case, Item

_items = ItemRow.__table__
_cases = CaseRow.__table__
_events = EventRow.__table__

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
    *lifecycle.CORRECTABLE_FIELD_NAMES,
    *lifecycle.SEAL_FIELDS,
)
CASE_FIELDS = ("status", "version", "judgment_no", "judgment_date")


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
        elif item_id not in items:
            unmatched.append(Difference(f"event seq {seq}", "item_id", item_id, "no registration before it"))
        else:
            item = items[item_id]
            items[item_id] = item.changed(lifecycle.transition_for(event).apply(item, payload))
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
    differences += [Difference(f"item id {k}", "*", None, "in ledger only") for k in items]
    differences += [Difference(f"case id {k}", "*", None, "in ledger only") for k in cases]
    return count, differences


def _compare(
    out: list[Difference], subject: str, fields: tuple[str, ...], stored: Any, replayed: Item | Case | None
) -> None:
    if replayed is None:
        out.append(Difference(subject, "*", "stored", "no events in the ledger"))
        return
    for name in fields:
        value = getattr(replayed, name)
        if stored[name] != value:
            out.append(Difference(subject, name, stored[name], _plain(value)))


def _plain(value: Any) -> Any:
    """A replayed value as JSON shows it (an enum as its text)."""
    return value.value if isinstance(value, Enum) else value
