"""The destruction batch report's figures checked against each other before a byte is made: a report
that states something its own numbers contradict is refused (:class:`~reports.errors.UnbalancedBatch`).

* every row, and the totals, within themselves: approved ≤ batched, destroyed + withdrawn ≤ approved,
  the same in rounds;
* the rows add up to the totals, figure by figure;
* each row, and the totals, agree with the item list: the items batched, destroyed, withdrawn and still
  approved (approved = destroyed + withdrawn + still approved), and their rounds;
* an item destroyed is in state ``destroyed`` at the point, one still approved in state ``approved``.
"""

from __future__ import annotations

from collections.abc import Iterable

from custody.batch_report import BatchReport, ReportItem, Tally
from custody.model import ItemState
from custody.numbers import ItemKind
from reports.errors import UnbalancedBatch

_NAMES = (
    "batched",
    "approved",
    "destroyed",
    "withdrawn",
    "rounds approved",
    "rounds destroyed",
    "rounds withdrawn",
)

Key = tuple[str, str, str, str]


def tally_key(unit_code: str, kind: ItemKind, firearm_type: str | None, calibre: str | None) -> Key:
    """What a tally row counts: one owning unit, kind, firearm type and calibre."""
    return (unit_code, kind.value, firearm_type or "", calibre or "")


def figures(tally: Tally) -> tuple[int, ...]:
    return (
        tally.batched,
        tally.approved,
        tally.destroyed,
        tally.withdrawn,
        tally.rounds_approved,
        tally.rounds_destroyed,
        tally.rounds_withdrawn,
    )


def listed(items: Iterable[ReportItem]) -> Tally:
    """What the item list says: items per outcome, and the rounds of lots."""
    counts = [0] * 7
    for item in items:
        rounds = item.rounds or 0 if item.kind is ItemKind.AMMUNITION else 0
        counts[0] += 1
        if item.outcome != "batched":
            counts[1] += 1
            counts[4] += rounds
        if item.outcome == "destroyed":
            counts[2] += 1
            counts[5] += rounds
        elif item.outcome == "withdrawn":
            counts[3] += 1
            counts[6] += rounds
    return Tally(*counts)


def _compare(what: str, stated: Tally, other: Tally, source: str) -> None:
    for name, a, b in zip(_NAMES, figures(stated), figures(other), strict=True):
        if a != b:
            raise UnbalancedBatch(f"{what}: {name} {a}, but {source} {b}")


def _sound(what: str, tally: Tally) -> None:
    if (
        min(figures(tally)) < 0
        or tally.approved > tally.batched
        or tally.pending < 0
        or tally.rounds_pending < 0
    ):
        raise UnbalancedBatch(
            f"{what}: {tally.batched} batched, {tally.approved} approved, {tally.destroyed} destroyed, "
            f"{tally.withdrawn} withdrawn ({tally.rounds_approved}, {tally.rounds_destroyed}, "
            f"{tally.rounds_withdrawn} rounds)"
        )


def check_totals(report: BatchReport) -> None:
    """Refuse a report whose figures contradict each other (see the module's documentation)."""
    _sound("totals", report.totals)
    summed = Tally()
    per_key: dict[Key, list[ReportItem]] = {}
    for item in report.items:
        per_key.setdefault(tally_key(item.unit_code, item.kind, item.firearm_type, item.calibre), []).append(
            item
        )
    seen: set[Key] = set()
    for row in report.rows:
        key = tally_key(row.unit_code, row.kind, row.firearm_type, row.calibre)
        what = f"row {row.unit_code} {row.kind.value} {row.firearm_type or ''} {row.calibre or ''}".rstrip()
        if key in seen:
            raise UnbalancedBatch(f"{what}: counted in two rows")
        seen.add(key)
        _sound(what, row.tally)
        _compare(what, row.tally, listed(per_key.get(key, ())), "the item list gives")
        summed = summed.plus(row.tally)
    _compare("totals", report.totals, summed, "the rows add up to")
    _compare("totals", report.totals, listed(report.items), "the item list gives")
    unrowed = set(per_key) - seen
    if unrowed:
        raise UnbalancedBatch(f"items of {sorted(unrowed)[0]} are listed but counted in no row")
    for item in report.items:
        expected = {"destroyed": ItemState.DESTROYED, "approved": ItemState.APPROVED}.get(item.outcome)
        if expected is not None and item.state is not expected:
            state = None if item.state is None else item.state.value
            raise UnbalancedBatch(f"{item.evidence_no} is counted {item.outcome} but is {state} at the point")
