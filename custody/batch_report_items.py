"""The items of a destruction batch as of a ledger point, recomputed from their events: each item folded
through the transition table (:mod:`custody.lifecycle`) up to the point, as ``custody ledger replay``
folds the whole ledger, so its state, owning unit, type, calibre and rounds are those the ledger gave at
that point; what the batch's own events (``batched``, ``approved``, ``destroyed``,
``withdrawn_from_batch``, ``photographed``) did to it; and the ballistic samples on record of each
firearm by then. Values only; :mod:`custody.batch_report` assembles the report.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.engine import Connection

from custody import lifecycle
from custody.db.batch_tables import DestructionBatchItemRow, DestructionPhotoRow
from custody.db.tables import EventRow, ItemRow
from custody.lifecycle.samples import FIRST_EVENTS, made_item
from custody.model import EventType
from custody.records import Item

_events = cast(Table, EventRow.__table__)
_items = cast(Table, ItemRow.__table__)
_batch_items = cast(Table, DestructionBatchItemRow.__table__)
_photos = cast(Table, DestructionPhotoRow.__table__)

_OWN = (EventType.BATCHED, EventType.APPROVED, EventType.DESTROYED, EventType.WITHDRAWN_FROM_BATCH)


@dataclass
class FoldedItem:
    """An item of the batch as its events up to the point leave it, and what the batch did to it."""

    item: Item | None = None  # None: not registered by the point
    batched: bool = False
    approved: bool = False
    destroyed: bool = False
    withdrawn: bool = False
    rounds_approved: int | None = None  # the lot's rounds when approved
    rounds_destroyed: int | None = None  # as counted at the site (the destroyed event's payload)
    rounds_withdrawn: int | None = None  # the lot's rounds when withdrawn
    reason: str | None = None  # why it was withdrawn
    photos: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (seq, payload)


def folded_items(conn: Connection, batch_id: int, seq: int) -> dict[int, FoldedItem]:
    """Every item of the batch by id, folded through its events with ``seq`` up to ``seq``."""
    folded: dict[int, FoldedItem] = {}
    rows = conn.execution_options(yield_per=5_000).execute(
        select(
            _events.c.seq,
            _events.c.event_type,
            _events.c.item_id,
            _events.c.case_id,
            _events.c.item_version,
            _events.c.payload,
        )
        .join(_batch_items, _batch_items.c.item_id == _events.c.item_id)
        .where(_batch_items.c.batch_id == batch_id, _events.c.seq <= seq)
        .order_by(_events.c.item_id, _events.c.seq)
    )
    for event_seq, event_type, item_id, case_id, version, payload_text in rows:
        event = EventType(event_type)
        payload = json.loads(payload_text)
        one = folded.setdefault(item_id, FoldedItem())
        if event is EventType.REGISTERED:
            one.item = lifecycle.registered_item(item_id, case_id, version, payload)
            continue
        if event in FIRST_EVENTS:
            one.item = made_item(item_id, case_id, version, payload)
            continue
        if one.item is None:
            continue  # an event before its registration: nothing to fold it into
        ours = payload.get("batch_id") == batch_id
        if ours and event in _OWN:
            _mark(one, event, payload)
        elif ours and event is EventType.PHOTOGRAPHED:
            one.photos.append((event_seq, payload))
        one.item = one.item.changed(lifecycle.transition_for(event).apply(one.item, payload))
    for item_id in conn.execute(select(_batch_items.c.item_id).where(_batch_items.c.batch_id == batch_id)):
        folded.setdefault(item_id[0], FoldedItem())
    return folded


def _mark(one: FoldedItem, event: EventType, payload: dict[str, Any]) -> None:
    """What one of the batch's own events did (the item as it stood before the event)."""
    assert one.item is not None
    rounds = one.item.quantity_rounds
    if event is EventType.BATCHED:
        one.batched = True
    elif event is EventType.APPROVED:
        one.approved, one.rounds_approved = True, rounds
    elif event is EventType.DESTROYED:
        counted = payload.get("rounds")
        one.destroyed, one.rounds_destroyed = True, counted if isinstance(counted, int) else rounds
    else:
        one.withdrawn, one.rounds_withdrawn = True, rounds
        one.reason = str(payload.get("reason", ""))


def samples_of(conn: Connection, batch_id: int, seq: int) -> dict[int, tuple[str, ...]]:
    """The evidence numbers of the ballistic samples of each firearm of the batch on record by ``seq``
    (a sample's first event at or before it), by the firearm's id."""
    first = (
        select(_events.c.item_id, func.min(_events.c.seq).label("first_seq"))
        .group_by(_events.c.item_id)
        .subquery()
    )
    rows = conn.execute(
        select(_items.c.sample_of_item_id, _items.c.evidence_no)
        .join(_batch_items, _batch_items.c.item_id == _items.c.sample_of_item_id)
        .join(first, first.c.item_id == _items.c.id)
        .where(_batch_items.c.batch_id == batch_id, first.c.first_seq <= seq)
        .order_by(_items.c.sample_of_item_id, _items.c.evidence_no)
    )
    found: dict[int, list[str]] = {}
    for firearm_id, number in rows:
        found.setdefault(firearm_id, []).append(number)
    return {k: tuple(v) for k, v in found.items()}


def photo_contents(conn: Connection, digests: Iterable[str]) -> dict[str, bytes]:
    """The bytes of the photos kept under these SHA-256 digests."""
    wanted = sorted(set(digests))
    found: dict[str, bytes] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for sha, content in conn.execute(
            select(_photos.c.sha256, _photos.c.content).where(_photos.c.sha256.in_(chunk))
        ):
            found[sha] = bytes(content)
    return found
