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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from custody.audit_sampling import category_of
from custody.model import AuditCategory, Finding, ItemState, SealStatus

IN_STORE = frozenset({ItemState.HANDED_OVER.value, ItemState.SEALED.value})


class Expected(NamedTuple):
    """A drawn item as its record stands."""

    item_id: int
    evidence_no: str
    seal_no: str | None
    location_code: str | None


class ItemSeen(NamedTuple):
    """An item named by a read (by its number or its tag), with its record."""

    item_id: int
    evidence_no: str
    unit_code: str
    state: str
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
    item: ItemSeen | None = None
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
    """Classify every expected item and everything read (see the module's documentation)."""
    sightings: dict[int, list[tuple[str | None, str | None, bool]]] = {}  # (place, through seal, broken)
    records: dict[int, ItemSeen] = {}
    seal_places: dict[str, list[str | None]] = {}
    discrepancies: list[Outcome] = []
    for read in reads:
        if read.location:
            continue
        if read.seal is not None:
            seal = read.seal
            if seal.status != SealStatus.INTACT.value:
                discrepancies.append(Outcome(Finding.SEAL_BROKEN, seal.seal_no, detail="void seal read"))
                continue
            seal_places.setdefault(seal.seal_no, []).append(read.location_code)
            for member in seal.members:
                records[member.item_id] = member
                sightings.setdefault(member.item_id, []).append(
                    (read.location_code, seal.seal_no, read.broken)
                )
        elif read.item is not None:
            records[read.item.item_id] = read.item
            sightings.setdefault(read.item.item_id, []).append((read.location_code, None, read.broken))
        else:
            discrepancies.append(Outcome(Finding.UNKNOWN_CODE, read.code))
    found: list[Outcome] = []
    drawn: set[int] = set()
    for item in expected:
        drawn.add(item.item_id)
        seen = sightings.get(item.item_id)
        outcome = Outcome(
            Finding.MISSING if not seen else _judged(item.seal_no, item.location_code, seen, seal_places),
            item.evidence_no,
            item.item_id,
            category_of(item.evidence_no),
        )
        (found if outcome.finding is Finding.FOUND else discrepancies).append(outcome)
    for item_id, seen in sightings.items():
        if item_id in drawn:
            continue
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


def _judged(
    seal_no: str | None,
    location_code: str | None,
    seen: list[tuple[str | None, str | None, bool]],
    seal_places: dict[str, list[str | None]],
) -> Finding:
    """What the sightings of an item of the audited store say of it."""
    if any(broken for _place, via, broken in seen if via is not None):
        return Finding.SEAL_BROKEN
    if seal_no is not None and seal_no in seal_places:
        seal_at = seal_places[seal_no]
        for place, via, _broken in seen:
            if via is None and not any(placed(place, at) for at in seal_at):
                return Finding.SEAL_MISMATCH
    if not any(placed(location_code, place) for place, _via, _broken in seen):
        return Finding.WRONG_PLACE
    return Finding.FOUND
