"""Ballistic samples (弹头、弹壳样本) made at a test-fire, and ammunition lots split in two.

Before a firearm that can fire standard-issue ammunition is destroyed, the criminal investigation
department test-fires it and keeps bullet (``B``) and cartridge-case (``C``) samples. :meth:`Samples.
test_fire` records it as one writer act: the ``test_fired`` event on the firearm (checked out to the
lab), the rounds taken from an ammunition lot of the custody (``consumed``, never below zero) unless the
lab's own stock was used, and each sample as a new item with its own evidence number, of the firearm's
case and unit, linked to the firearm (``sample_made``). :meth:`Samples.split` takes N rounds of a lot into
a new lot of the same case (``lot_split`` on the original, ``split_off`` on the new one). Either the
whole act is written or, on any refusal, nothing (the evidence numbers taken are rolled back with it).
The rows are in :mod:`custody.lifecycle.samples`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.engine import Connection

from custody import lifecycle
from custody.actors import Actor, require_role
from custody.clock import china_date
from custody.db.lookups import ConnectionLookups
from custody.db.tables import CaseRow, ItemRow
from custody.db.unit_of_work import Also, Store
from custody.items import Items
from custody.lifecycle.samples import SAMPLE_KINDS, first_payload, sample_count, sealed_lot_refused
from custody.list_acts import record_act
from custody.model import EventType, ItemState
from custody.numbers import ItemKind, canonical_number, evidence_number
from custody.records import Item
from custody.registration import next_sequence

_items = cast(Table, ItemRow.__table__)
_cases = cast(Table, CaseRow.__table__)

SAMPLE_TEXT = {ItemKind.BULLET_SAMPLE: "弹头样本", ItemKind.CASING_SAMPLE: "弹壳样本"}


@dataclass(frozen=True)
class TestFire:
    """What the examiner reports of a test-fire: where, by whom, when (``YYYY-MM-DD``, China Standard
    Time; None: today), the ammunition (a lot's evidence number and the rounds taken from it, or the
    lab's own stock described) and how many bullet and cartridge-case samples were kept."""

    lab: str
    examiner: str
    bullets: int
    cases: int
    date: str | None = None
    ammunition_lot: str | None = None
    rounds: int | None = None
    lab_stock: str | None = None


@dataclass(frozen=True)
class TestFired:
    """A recorded test-fire: the firearm after it, its samples (bullets first), the lot used (after
    its rounds went down) if any."""

    firearm: Item
    samples: tuple[Item, ...]
    lot: Item | None


@dataclass(frozen=True)
class LotSplit:
    """A lot after a split, and the lot split off it."""

    original: Item
    split_off: Item


class Samples:
    """Test-fires with their samples, and lot splits: each one writer act."""

    def __init__(self, store: Store, items: Items) -> None:
        self.store = store
        self.items = items

    def test_fire(
        self, actor: Actor, firearm_no: str, fired: TestFire, also: Also | None = None
    ) -> TestFired:
        """Record a test-fire of the firearm (checked out to the lab) and register its samples (``also``:
        an entry point's own record of the act, written in its transaction)."""
        row = lifecycle.transition_for(EventType.TEST_FIRED)
        require_role(actor, row.roles, "record test-fires")
        number = canonical_number(firearm_no)
        lot_no = None if fired.ammunition_lot is None else canonical_number(fired.ammunition_lot)
        request: dict[str, Any] = {
            "lab": fired.lab,
            "examiner": fired.examiner,
            "bullets": fired.bullets,
            "cases": fired.cases,
            "ammunition_lot": lot_no,
            "rounds": fired.rounds,
            "lab_stock": fired.lab_stock,
        }
        kinds = [ItemKind.BULLET_SAMPLE] * sample_count(request, "bullets")
        kinds += [ItemKind.CASING_SAMPLE] * sample_count(request, "cases")

        def change(conn: Connection) -> TestFired:
            firearm = self.items.load(conn, actor, number)
            now = self.store.now_us()
            today = china_date(now)
            lookups = ConnectionLookups(conn, lambda unit: self.store.sees(actor, unit, conn))
            payload = {**request, "date": fired.date or today.isoformat()}
            row.check(lifecycle.Attempt(EventType.TEST_FIRED, firearm, actor, payload, today, lookups))
            made = [self._sample(conn, firearm, kind, now) for kind in kinds]
            payload["samples"] = [sample.evidence_no for sample in made]
            attempt = lifecycle.Attempt(EventType.TEST_FIRED, firearm, actor, payload, today, lookups)
            after, _head = record_act(conn, row, firearm, row.record(attempt), actor, now, "", "", None)
            used = {"rounds": fired.rounds, "reason": f"试射 {number}"}
            lot = None if lot_no is None else self._consume(conn, actor, lot_no, used, now, lookups)
            sample_row = lifecycle.transition_for(EventType.SAMPLE_MADE)
            for sample in made:
                first = first_payload(sample, case_no=sample.case_no, firearm=number)
                made_attempt = lifecycle.Attempt(EventType.SAMPLE_MADE, sample, actor, first, today, lookups)
                sample_row.check(made_attempt)
                recorded = sample_row.record(made_attempt)
                record_act(conn, sample_row, sample, recorded, actor, now, "", "", None)
            return TestFired(after, tuple(made), lot)

        return self.store.write(change, also=also)

    def split(self, actor: Actor, lot_no: str, rounds: int, also: Also | None = None) -> LotSplit:
        """Take ``rounds`` of the lot into a new lot of the same case, in the lot's state and hands."""
        row = lifecycle.transition_for(EventType.LOT_SPLIT)
        require_role(actor, row.roles, "split ammunition lots")
        number = canonical_number(lot_no)

        def change(conn: Connection) -> LotSplit:
            lot = self.items.load(conn, actor, number)
            sealed_lot_refused(lot)
            now = self.store.now_us()
            today = china_date(now)
            lookups = ConnectionLookups(conn, lambda unit: self.store.sees(actor, unit, conn))
            request: dict[str, Any] = {"rounds": rounds}
            row.check(lifecycle.Attempt(EventType.LOT_SPLIT, lot, actor, request, today, lookups))
            part = self._new_lot(conn, lot, rounds, now)
            request["split_off"] = part.evidence_no
            attempt = lifecycle.Attempt(EventType.LOT_SPLIT, lot, actor, request, today, lookups)
            after, _head = record_act(conn, row, lot, row.record(attempt), actor, now, "", "", None)
            off_row = lifecycle.transition_for(EventType.SPLIT_OFF)
            first = first_payload(part, case_no=part.case_no, split_from=number, rounds=rounds)
            off = lifecycle.Attempt(EventType.SPLIT_OFF, part, actor, first, today, lookups)
            off_row.check(off)
            record_act(conn, off_row, part, off_row.record(off), actor, now, "", "", None)
            return LotSplit(after, part)

        return self.store.write(change, also=also)

    def firearm_of(self, sample: Item) -> str | None:
        """The evidence number of the firearm a sample was made of (None: not a sample). The number is
        part of the sample's own record, so it is answered whoever may see the sample."""
        if sample.sample_of_item_id is None:
            return None
        with self.store.reading() as conn:
            found = conn.execute(
                select(_items.c.evidence_no).where(_items.c.id == sample.sample_of_item_id)
            ).scalar_one_or_none()
        return None if found is None else str(found)

    # ------------------------------------------------------------------------------------- helpers

    def _consume(
        self,
        conn: Connection,
        actor: Actor,
        lot_no: str,
        used: dict[str, Any],
        now: int,
        lookups: ConnectionLookups,
    ) -> Item:
        """The rounds fired taken off the lot by its own act (``consumed``), in this transaction."""
        row = lifecycle.transition_for(EventType.CONSUMED)
        lot = self.items.load(conn, actor, lot_no)
        attempt = lifecycle.Attempt(EventType.CONSUMED, lot, actor, used, china_date(now), lookups)
        row.check(attempt)
        after, _head = record_act(conn, row, lot, row.record(attempt), actor, now, "", "", None)
        return after

    def _sample(self, conn: Connection, firearm: Item, kind: ItemKind, now: int) -> Item:
        """A new sample of the firearm: its number taken, its row inserted (its event comes after)."""
        columns = {
            "calibre": firearm.calibre,
            "sample_of_item_id": firearm.id,
            "description": f"{SAMPLE_TEXT[kind]}：枪支 {firearm.evidence_no}",
        }
        return self._insert(conn, firearm, kind, now, columns)

    def _new_lot(self, conn: Connection, lot: Item, rounds: int, now: int) -> Item:
        columns = {
            "calibre": lot.calibre,
            "quantity_rounds": rounds,
            "headstamp_lot": lot.headstamp_lot,
            "description": lot.description,
            "custodian_user_id": lot.custodian_user_id,
            "location_code": lot.location_code,
        }
        return self._insert(conn, lot, ItemKind.AMMUNITION, now, columns, lot.state)

    def _insert(
        self,
        conn: Connection,
        origin: Item,
        kind: ItemKind,
        now: int,
        columns: dict[str, Any],
        state: ItemState = ItemState.REGISTERED,
    ) -> Item:
        """A new item of ``origin``'s case and unit, numbered in its unit's sequence of this year."""
        year = china_date(now).year
        number = evidence_number(kind, origin.unit_code, year, next_sequence(conn, origin.unit_code, year))
        values = {
            "evidence_no": number,
            "kind": kind.value,
            "case_id": origin.case_id,
            "unit_code": origin.unit_code,
            "state": state.value,
            "version": 1,
            "registered_at_us": now,
            **columns,
        }
        item_id = conn.execute(insert(_items).values(**values).returning(_items.c.id)).scalar_one()
        case_no = conn.execute(select(_cases.c.case_no).where(_cases.c.id == origin.case_id)).scalar_one()
        return Item(
            item_id, number, kind, origin.case_id, origin.unit_code, state, 1, now, case_no=case_no, **columns
        )


__all__ = ["SAMPLE_KINDS", "LotSplit", "Samples", "TestFire", "TestFired"]
