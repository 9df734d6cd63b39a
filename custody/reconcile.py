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

The drawn items (:class:`Drawn`) and the reads (:class:`ReadLog`) come in columns, as a store's audit
is a hundred thousand of each: the common case (an item read once, by itself, exactly where its record
puts it) is settled over whole columns at once, and only the rest is judged item by item, by the same
rules.
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from itertools import compress, repeat
from operator import and_, eq, is_, is_not, itemgetter, not_
from typing import NamedTuple, cast

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


@dataclass(frozen=True)
class Drawn:
    """The drawn items as their records stand, in columns: entry ``i`` of each is one item."""

    item_ids: Sequence[int]
    evidence_nos: Sequence[str]
    seal_nos: Sequence[str | None]
    location_codes: Sequence[str | None]

    @classmethod
    def of(cls, rows: Iterable[Expected]) -> Drawn:
        listed = list(rows)
        return cls(
            [r.item_id for r in listed],
            [r.evidence_no for r in listed],
            [r.seal_no for r in listed],
            [r.location_code for r in listed],
        )

    def __len__(self) -> int:
        return len(self.item_ids)


class ItemRead(NamedTuple):
    """A read that named an item by its own code or tag: which item, where, and whether the tag was read
    with its loop open (now or before). The code itself is not kept: findings name items by number."""

    item_id: int
    location_code: str | None
    broken: bool = False

    @property
    def location(self) -> bool:
        """An item's code is no location code (as :attr:`Read.location`)."""
        return False


@dataclass(frozen=True)
class ReadLog:
    """Every distinct thing an audit read, in the order read, in columns: entry ``i`` of each is one read
    (the item it named by its own code or tag, None if it named none; where it was read; whether its
    tag was read with its loop open, now or before). The reads that named no item (seals, locations,
    codes naming nothing) are held whole in ``others``, by their position; ``records`` holds the records
    of the items read that the audit did not draw."""

    item_ids: Sequence[int | None]
    places: Sequence[str | None]
    broken: Sequence[bool]
    others: Mapping[int, Read]
    records: Mapping[int, ItemSeen]

    @classmethod
    def of(cls, reads: Iterable[Read]) -> ReadLog:
        listed = list(reads)
        return cls(
            [r.item_id for r in listed],
            [r.location_code for r in listed],
            [r.broken for r in listed],
            {i: r for i, r in enumerate(listed) if r.item_id is None},
            {r.item_id: r.item for r in listed if r.item_id is not None and r.item is not None},
        )

    def __len__(self) -> int:
        return len(self.item_ids)

    def __iter__(self) -> Iterator[Read | ItemRead]:
        for i, item_id in enumerate(self.item_ids):
            yield self.others[i] if item_id is None else ItemRead(item_id, self.places[i], self.broken[i])


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


def reconcile(unit_code: str, scope: Sequence[str], drawn: Drawn, reads: ReadLog) -> Reconciliation:
    """Classify every drawn item and everything read (see the module's documentation)."""
    with paused_collector():
        once, sightings, records, seal_places, discrepancies = _sightings(reads)
        findings = _findings(drawn, once, sightings, seal_places)
        fields = zip(
            findings, drawn.evidence_nos, drawn.item_ids, _categories(drawn.evidence_nos), repeat("")
        )
        outcomes = cast("list[Outcome]", list(map(_new_outcome, fields)))
        found = list(compress(outcomes, map(is_, findings, repeat(Finding.FOUND))))
        discrepancies.extend(compress(outcomes, map(is_not, findings, repeat(Finding.FOUND))))
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
            # the findings outlive the block: straight to the oldest generation, not collected young
            gc.freeze()
            gc.unfreeze()
            gc.enable()


_Sighting = tuple[str | None, str | None, bool]  # (place, through which seal, broken)


def _sightings(
    reads: ReadLog,
) -> tuple[
    dict[int, str | None],
    dict[int, list[_Sighting]],
    dict[int, ItemSeen],
    dict[str, list[str | None]],
    list[Outcome],
]:
    """Where each item was seen (``once``: the place of an item read once, by itself, its tag not
    broken; the rest in ``sightings``), the records of the items read that were not drawn, where each
    intact seal was read, and the reads that are discrepancies by themselves (void seals, unknown codes).

    ``once`` is taken from the columns whole; the items it must not hold (read more than once, through
    a broken tag, or inside a seal read) are taken out of it again, and their reads, with every read
    that named no item, are then replayed one by one in the order read."""
    item_ids, places, broken = reads.item_ids, reads.places, reads.broken
    once: dict[int | None, str | None] = dict(zip(item_ids, places, strict=True))
    once.pop(None, None)
    replayed = _not_once(reads, len(once))
    for item_id in replayed:
        once.pop(item_id, None)
    replayed.add(None)
    simple = cast("dict[int, str | None]", once)  # None is no key of it any more
    sightings: dict[int, list[_Sighting]] = {}
    records: dict[int, ItemSeen] = dict(reads.records)
    seal_places: dict[str, list[str | None]] = {}
    discrepancies: list[Outcome] = []
    for i in compress(range(len(item_ids)), map(replayed.__contains__, item_ids)):
        item_id = item_ids[i]
        if item_id is not None:
            if not broken[i] and item_id not in simple and item_id not in sightings:
                simple[item_id] = places[i]
            else:
                _add(simple, sightings, item_id, (places[i], None, broken[i]))
            continue
        read = reads.others[i]
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
            _add(simple, sightings, member.item_id, (read.location_code, seal.seal_no, read.broken))
    return simple, sightings, records, seal_places, discrepancies


def _not_once(reads: ReadLog, distinct: int) -> set[int | None]:
    """The items read more than once (``distinct``: how many items were read), through a tag with its
    loop open, or inside an intact seal that was read."""
    item_ids = reads.item_ids
    found: set[int | None] = set()
    if distinct < len(item_ids) - item_ids.count(None):
        found.update(item_id for item_id, times in Counter(item_ids).items() if times > 1)
    if any(reads.broken):
        found.update(compress(item_ids, reads.broken))
    for read in reads.others.values():
        if read.seal is not None and read.seal.status == _INTACT:
            found.update(member.item_id for member in read.seal.members)
    found.discard(None)
    return found


def _findings(
    drawn: Drawn,
    once: dict[int, str | None],
    sightings: dict[int, list[_Sighting]],
    seal_places: dict[str, list[str | None]],
) -> list[Finding]:
    """What the sightings of each drawn item say of it. An item read once, by itself, exactly where its
    record puts it, and not recorded under a seal that was read, is found: those are picked out over
    the whole columns; every other item is judged on its own (:func:`_finding`)."""
    singles = list(map(once.pop, drawn.item_ids, repeat(_UNSEEN)))
    plain = map(eq, singles, drawn.location_codes)
    if seal_places:
        plain = map(and_, plain, map(not_, map(seal_places.__contains__, drawn.seal_nos)))
    findings: list[Finding | None] = list(map(_FOUND_IF.get, plain))
    for i in compress(range(len(findings)), map(is_, findings, repeat(None))):
        findings[i] = _finding(
            singles[i], drawn.item_ids[i], drawn.seal_nos[i], drawn.location_codes[i], sightings, seal_places
        )
    return cast("list[Finding]", findings)  # every None judged above


def _finding(
    single: str | None,
    item_id: int,
    seal_no: str | None,
    location_code: str | None,
    sightings: dict[int, list[_Sighting]],
    seal_places: dict[str, list[str | None]],
) -> Finding:
    """What the sightings of one drawn item say of it (``single``: the place it was read once by itself)."""
    if single is not _UNSEEN and (seal_no is None or seal_no not in seal_places):
        return Finding.FOUND if placed(location_code, single) else Finding.WRONG_PLACE
    seen = sightings.pop(item_id, None)
    if single is not _UNSEEN:
        seen = [(single, None, False)]
    return Finding.MISSING if not seen else _judged(seal_no, location_code, seen, seal_places)


def _categories(evidence_nos: Sequence[str]) -> list[AuditCategory]:
    """The audit category of each item, by a lookup of the kind letter (as :func:`category_of`)."""
    categories = list(map(_CATEGORIES.get, map(_KIND_LETTER, evidence_nos)))
    if all(categories):
        return cast("list[AuditCategory]", categories)
    # a letter of no kind: category_of says why
    return [c or category_of(e) for c, e in zip(categories, evidence_nos, strict=True)]


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
_FOUND_IF = {True: Finding.FOUND}  # a plain sighting where the record puts the item; else judged on its own
_KIND_LETTER = itemgetter(slice(None, 1))
_new_outcome = partial(tuple.__new__, Outcome)  # Outcome._make without its check that five fields came
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
