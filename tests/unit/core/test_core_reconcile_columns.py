"""The reconciliation over columns gives exactly what the plain row-by-row reading of its rules gives:
the same findings, in the same order, for any drawn items and any reads (repeats, broken tags, seals
intact or void, locations, unknown codes, items of other units or stores)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custody.audit_sampling import category_of
from custody.model import Finding
from custody.reconcile import (
    IN_STORE,
    Drawn,
    Expected,
    ItemRead,
    ItemSeen,
    Outcome,
    Read,
    ReadLog,
    Reconciliation,
    SealSeen,
    _add,
    _judged,
    placed,
    reconcile,
    within,
)

UNIT = "220102"
PLACES = ["L1", "L1-A", "L1-A-1", "L1-A-2", "L1-B", "L2", "L2-A", None]


def row_by_row(
    unit_code: str, scope: Sequence[str], expected: Sequence[Expected], reads: Sequence[Read]
) -> Reconciliation:
    """The rules read one row at a time (the reconciliation as it was written before it took columns)."""
    once: dict[int, str | None] = {}
    sightings: dict[int, list[tuple[str | None, str | None, bool]]] = {}
    records: dict[int, ItemSeen] = {}
    seal_places: dict[str, list[str | None]] = {}
    found: list[Outcome] = []
    discrepancies: list[Outcome] = []
    for read in reads:
        if read.item_id is not None:
            if read.item is not None:
                records[read.item_id] = read.item
            if not read.broken and read.item_id not in once and read.item_id not in sightings:
                once[read.item_id] = read.location_code
            else:
                _add(once, sightings, read.item_id, (read.location_code, None, read.broken))
        elif read.location:
            continue
        elif read.seal is None:
            discrepancies.append(Outcome(Finding.UNKNOWN_CODE, read.code))
        elif read.seal.status != "intact":
            discrepancies.append(Outcome(Finding.SEAL_BROKEN, read.seal.seal_no, detail="void seal read"))
        else:
            seal_places.setdefault(read.seal.seal_no, []).append(read.location_code)
            for member in read.seal.members:
                records[member.item_id] = member
                _add(once, sightings, member.item_id, (read.location_code, read.seal.seal_no, read.broken))
    unseen = "\x00 not seen"
    for item_id, evidence_no, seal_no, location_code in expected:
        single = once.pop(item_id, unseen)
        if single is not unseen and (seal_no is None or seal_no not in seal_places):
            finding = Finding.FOUND if placed(location_code, single) else Finding.WRONG_PLACE
        else:
            seen = sightings.pop(item_id, None)
            if single is not unseen:
                seen = [(single, None, False)]
            finding = Finding.MISSING if not seen else _judged(seal_no, location_code, seen, seal_places)
        outcome = Outcome(finding, evidence_no, item_id, category_of(evidence_no), "")
        (found if finding is Finding.FOUND else discrepancies).append(outcome)
    for item_id, place in once.items():
        sightings[item_id] = [(place, None, False)]
    for item_id, seen in sightings.items():
        record = records[item_id]
        if record.unit_code != unit_code or record.state not in IN_STORE:
            finding = Finding.UNEXPECTED
        elif not within(record.location_code, scope):
            finding = Finding.WRONG_PLACE
        else:
            finding = _judged(record.seal_no, record.location_code, seen, seal_places)
        outcome = Outcome(finding, record.evidence_no, item_id, category_of(record.evidence_no))
        (found if finding is Finding.FOUND else discrepancies).append(outcome)
    return Reconciliation(tuple(found), tuple(discrepancies))


@st.composite
def audits(draw: st.DrawFn) -> tuple[list[str], list[Expected], list[Read]]:
    count = draw(st.integers(min_value=0, max_value=12))
    seals = ["S1", "S2", "S3"]
    items = {
        i: ItemSeen(
            i,
            draw(st.sampled_from("FABC")) + f"{UNIT}2026{i:06d}",
            draw(st.sampled_from([UNIT, "220200"])),
            draw(st.sampled_from(["handed_over", "sealed", "destroyed"])),
            draw(st.sampled_from([None, *seals])),
            draw(st.sampled_from(PLACES)),
        )
        for i in range(1, count + 1)
    }
    drawn_ids = draw(st.lists(st.sampled_from(sorted(items)), unique=True)) if items else []
    expected = [
        Expected(i, items[i].evidence_no, items[i].seal_no, items[i].location_code) for i in drawn_ids
    ]
    reads: list[Read] = []
    for _ in range(draw(st.integers(min_value=0, max_value=16))):
        place = draw(st.sampled_from(PLACES))
        broken = draw(st.booleans())
        what = draw(st.sampled_from(["item", "item", "item", "seal", "location", "unknown"]))
        if what == "item" and items:
            item_id = draw(st.sampled_from(sorted(items)))
            record = None if item_id in drawn_ids else items[item_id]
            reads.append(Read(items[item_id].evidence_no, place, item_id, record, broken=broken))
        elif what == "seal":
            seal_no = draw(st.sampled_from(seals))
            members = tuple(m for m in items.values() if m.seal_no == seal_no)
            status = draw(st.sampled_from(["intact", "intact", "void"]))
            seal = SealSeen(seal_no, UNIT, status, draw(st.sampled_from(PLACES[:-1])), members)
            reads.append(Read(seal_no, place, seal=seal, broken=broken))
        elif what == "location":
            reads.append(Read(place or "L1", place, location=True))
        else:
            reads.append(Read(f"CODE-{draw(st.integers(0, 3))}", place))
    scope = draw(st.sampled_from([[], ["L1"], ["L1-A", "L2"]]))
    return scope, expected, reads


@settings(max_examples=400, deadline=None)
@given(audits())
def test_the_columns_give_what_the_rows_give(audit: tuple[list[str], list[Expected], list[Read]]):
    scope, expected, reads = audit
    wanted = row_by_row(UNIT, scope, expected, reads)
    assert reconcile(UNIT, scope, Drawn.of(expected), ReadLog.of(reads)) == wanted


@settings(max_examples=200, deadline=None)
@given(audits())
def test_the_columns_hold_every_row_as_it_was(audit: tuple[list[str], list[Expected], list[Read]]):
    _scope, expected, reads = audit
    drawn = Drawn.of(expected)
    columns = (drawn.item_ids, drawn.evidence_nos, drawn.seal_nos, drawn.location_codes)
    assert list(zip(*columns, strict=True)) == expected and len(drawn) == len(expected)
    as_read = [r if r.item_id is None else ItemRead(r.item_id, r.location_code, r.broken) for r in reads]
    assert list(ReadLog.of(reads)) == as_read and len(ReadLog.of(reads)) == len(reads)


def test_a_number_of_no_known_kind_is_refused_as_category_of_refuses_it():
    drawn = Drawn.of([Expected(1, "Z2201022026000001", None, "L1")])
    with pytest.raises(ValueError):
        reconcile(UNIT, [], drawn, ReadLog.of([]))
