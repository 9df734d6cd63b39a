"""Rebuild every item's and case's state from the ledger and compare it with the stored state.

The ledger is the record; the ``items`` and ``cases`` rows are a cache of it. Replay folds each item's
events through the same lifecycle effects the services apply, so any difference means the stored state
was changed outside the services (or an event is missing).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select

from custody import lifecycle
from custody.db.tables import CaseRow, EventRow, ItemRow
from custody.model import CaseStatus, EventType
from custody.progress import Progress, counted

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


def _stream(engine: Engine) -> Iterator[Any]:
    columns = (
        _events.c.seq,
        _events.c.event_type,
        _events.c.item_id,
        _events.c.case_id,
        _events.c.item_version,
        _events.c.payload,
    )
    with engine.connect() as conn:
        result = conn.execution_options(yield_per=10_000).execute(select(*columns).order_by(_events.c.seq))
        yield from result


def replay(engine: Engine, progress: Progress | None = None) -> tuple[int, list[Difference]]:
    """Fold the whole ledger; return how many events were replayed and every difference found
    (``progress``: told the number of events replayed, every :data:`custody.progress.EVERY`)."""
    items: dict[int, dict[str, Any]] = {}
    cases: dict[int, dict[str, Any]] = {}
    count = 0
    unmatched: list[Difference] = []
    for seq, event_type, item_id, case_id, item_version, payload_text in counted(_stream(engine), progress):
        count += 1
        event = EventType(event_type)
        payload = json.loads(payload_text)
        if event in _CASE_EVENTS:
            _fold_case(cases, event, case_id, payload)
        elif item_id is None:
            continue  # an event about no item (a station's sighting of an unknown code, …): no state
        elif event is EventType.REGISTERED:
            items[item_id] = lifecycle.registered_facts(item_id, case_id, item_version, payload)
        elif item_id not in items:
            unmatched.append(Difference(f"event seq {seq}", "item_id", item_id, "no registration before it"))
        else:
            item = items[item_id]
            item.update(lifecycle.transition_for(event).apply(item, payload))
    differences = unmatched
    with engine.connect() as conn:
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


_CASE_EVENTS = frozenset({EventType.CASE_OPENED, EventType.CASE_CLOSED, EventType.CASE_JUDGED})


def _fold_case(cases: dict[int, dict[str, Any]], event: EventType, case_id: int, payload: Any) -> None:
    if event is EventType.CASE_OPENED:
        cases[case_id] = {
            "status": CaseStatus.OPEN.value,
            "version": 1,
            "judgment_no": None,
            "judgment_date": None,
        }
        return
    case = cases.get(case_id)
    if case is None:
        return  # a case event before the case was opened: the case is then reported as stored only
    status = CaseStatus.CLOSED if event is EventType.CASE_CLOSED else CaseStatus.JUDGED
    case.update(payload, version=case["version"] + 1, status=status.value)


def _compare(
    out: list[Difference], subject: str, fields: tuple[str, ...], stored: Any, replayed: Any
) -> None:
    if replayed is None:
        out.append(Difference(subject, "*", "stored", "no events in the ledger"))
        return
    for name in fields:
        if stored[name] != replayed.get(name):
            out.append(Difference(subject, name, stored[name], replayed.get(name)))
