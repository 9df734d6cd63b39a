"""Reconciliation of an audit: what the records say is on the audited shelves against what was read
there, both ways (record → shelf and shelf → record). A pure function of typed rows, so that the audit
closes, the report recomputes and the benchmark measures the same code.

For every expected item (drawn by the audit), in this order of precedence:

* ``missing``: neither the item nor the seal it is recorded under was read;
* ``seal_broken``: it was seen through a seal whose tag was read with its loop open (now or before);
* ``seal_mismatch``: the item was read by its own code or tag apart from its seal (another place than
  where that intact seal was read): what is inside the seal differs from its record;
* ``wrong_place``: seen, but only at places that are neither its recorded location nor above or below it;
* ``found`` otherwise.

For everything read that was not expected: an item of another unit, or in no store state, is
``unexpected``; an item of the audited store recorded elsewhere is ``wrong_place`` (or one of the seal
findings above); a void seal is ``seal_broken``; a code that names nothing is ``unknown_code``; an item
of the audited scope that was not drawn but seen where it belongs counts as ``found``. A read of a
location code only says where the next reads are and is no finding.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NamedTuple

from custody.audit_sampling import CATEGORY_OF_KIND, category_of
from custody.model import AuditCategory, Finding, ItemState, SealStatus

IN_STORE = frozenset({ItemState.HANDED_OVER.value, ItemState.SEALED.value})


class ItemSeen(NamedTuple):
    """An item named by a read (by its number or its tag), with its record."""

    item_id: int
    evidence_no: str
    unit_code: str
    state: str
    seal_no: str | None
    location_code: str | None


class Expected(NamedTuple):
    """A drawn item as its record stands."""

    item_id: int
    evidence_no: str
    seal_no: str | None
    location_code: str | None


class SealSeen(NamedTuple):
    """A seal named by a read (by its number or its tag), with its record and the items it holds."""

    seal_no: str
    unit_code: str
    status: str
    location_code: str
    members: tuple[ItemSeen, ...]


class Read(NamedTuple):
    """One distinct thing read: what it named (an item, a seal, or nothing known), where, and the worst
    tamper status of its tag."""

    code: str
    location_code: str | None
    item_id: int | None = None  # the item it named (by its number or its tag)
    item: ItemSeen | None = None  # that item's record, where the expected rows do not hold it
    seal: SealSeen | None = None
    location: bool = False  # a location code: context, no finding
    broken: bool = False  # a tamper-evident tag read with its loop open, now or before


class Outcome(NamedTuple):
    """A finding about one item (or, for a code that names no item, about the code)."""

    finding: Finding
    code: str  # the evidence number, or the seal number / code read
    item_id: int | None = None
    category: AuditCategory | None = None
    detail: str = ""


@dataclass(frozen=True)
class Reconciliation:
    """Every finding: the items found, and the discrepancies (everything else)."""

    found: tuple[Outcome, ...]
    discrepancies: tuple[Outcome, ...]

    def counts(self) -> dict[Finding, int]:
        totals = dict.fromkeys(Finding, 0)
        totals[Finding.FOUND] = len(self.found)
        for outcome in self.discrepancies:
            totals[outcome.finding] += 1
        return totals


def placed(record: str | None, read_at: str | None) -> bool:
    """A read place agrees with a recorded one when either lies within the other (a station bound to a
    room reads what lies on that room's shelves); an unknown place agrees with any."""
    if record is None or read_at is None or record == read_at:
        return True
    return record.startswith(read_at + "-") or read_at.startswith(record + "-")


def within(location: str | None, scope: Sequence[str]) -> bool:
    """The location lies in the audited scope (no scope: the whole store)."""
    if not scope:
        return True
    return location is not None and any(location == s or location.startswith(s + "-") for s in scope)


def reconcile(
    unit_code: str, scope: Sequence[str], expected: Iterable[Expected], reads: Iterable[Read]
) -> Reconciliation:
    """Classify every expected item and everything read (see the module's documentation).

    Written for a whole store's audit (a hundred thousand items and reads): one pass over the reads,
    one over the expected items, and the common case (an item read once, by itself, where its record
    puts it) judged inline."""
    with paused_collector():
        once, sightings, records, seal_places, discrepancies = _sightings(reads)
        found: list[Outcome] = []
        keep_found, keep_wrong = found.append, discrepancies.append
        new, categories = Outcome._make, _CATEGORIES
        missing, found_, wrong = Finding.MISSING, Finding.FOUND, Finding.WRONG_PLACE
        for item_id, evidence_no, seal_no, location_code in expected:
            single = once.pop(item_id, _UNSEEN)
            if single is not _UNSEEN and (seal_no is None or seal_no not in seal_places):
                finding = found_ if single == location_code or placed(location_code, single) else wrong
            else:
                seen = sightings.pop(item_id, None)
                if single is not _UNSEEN:
                    seen = [(single, None, False)]
                finding = missing if not seen else _judged(seal_no, location_code, seen, seal_places)
            category = categories.get(evidence_no[:1]) or category_of(evidence_no)
            outcome = new((finding, evidence_no, item_id, category, ""))
            (keep_found if finding is found_ else keep_wrong)(outcome)
        # what is left was read but not drawn
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


_UNSEEN = "\x00 not seen"  # no place: location codes hold no control character


@contextmanager
def paused_collector() -> Iterator[None]:
    """No cyclic garbage collection while a reconciliation builds its (acyclic) rows: with a hundred
    thousand of them alive, the collector's passes would cost more than the work."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_Sighting = tuple[str | None, str | None, bool]  # (place, through which seal, broken)


def _sightings(
    reads: Iterable[Read],
) -> tuple[
    dict[int, str | None],
    dict[int, list[_Sighting]],
    dict[int, ItemSeen],
    dict[str, list[str | None]],
    list[Outcome],
]:
    """Where each item was seen (``once``: the place of an item read once, by itself, its tag not
    broken; the rest in ``sightings``), the records of the items the reads carry (those not drawn),
    where each intact seal was read, and the reads that are discrepancies by themselves (void seals,
    unknown codes)."""
    once: dict[int, str | None] = {}
    sightings: dict[int, list[_Sighting]] = {}
    records: dict[int, ItemSeen] = {}
    seal_places: dict[str, list[str | None]] = {}
    discrepancies: list[Outcome] = []
    for read in reads:
        _code, place, item_id, item, _seal, _location, broken = read
        if item_id is not None:
            if item is not None:
                records[item_id] = item
            if not broken and item_id not in once and item_id not in sightings:
                once[item_id] = place
            else:
                _add(once, sightings, item_id, (place, None, broken))
            continue
        if read.location:
            continue
        seal = read.seal
        if seal is None:
            discrepancies.append(Outcome(Finding.UNKNOWN_CODE, read.code))
            continue
        if seal.status != _INTACT:
            discrepancies.append(Outcome(Finding.SEAL_BROKEN, seal.seal_no, detail="void seal read"))
            continue
        seal_places.setdefault(seal.seal_no, []).append(read.location_code)
        for member in seal.members:
            records[member.item_id] = member
            _add(once, sightings, member.item_id, (read.location_code, seal.seal_no, read.broken))
    return once, sightings, records, seal_places, discrepancies


def _add(
    once: dict[int, str | None], sightings: dict[int, list[_Sighting]], item_id: int, sighting: _Sighting
) -> None:
    """One more sighting of an item (one read once by itself moves to the general list)."""
    seen = sightings.get(item_id)
    if seen is None:
        seen = sightings[item_id] = []
        if item_id in once:
            seen.append((once.pop(item_id), None, False))
    seen.append(sighting)


_INTACT = SealStatus.INTACT.value
# category_of by a lookup of the kind letter: the same answer, cheaper once per item
_CATEGORIES: dict[str, AuditCategory] = {kind.value: category for kind, category in CATEGORY_OF_KIND.items()}


def _judged(
    seal_no: str | None,
    location_code: str | None,
    seen: list[_Sighting],
    seal_places: dict[str, list[str | None]],
) -> Finding:
    """What the sightings of an item of the audited store say of it."""
    for _place, via, broken in seen:
        if broken and via is not None:
            return Finding.SEAL_BROKEN
    if seal_no is not None and seal_no in seal_places:
        seal_at = seal_places[seal_no]
        for place, via, _broken in seen:
            if via is None and not any(placed(place, at) for at in seal_at):
                return Finding.SEAL_MISMATCH
    for place, _via, _broken in seen:
        if placed(location_code, place):
            return Finding.FOUND
    return Finding.WRONG_PLACE
