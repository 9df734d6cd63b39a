"""The monthly statistics (涉枪案件及枪支弹药统计月报表) and their quarterly roll-up (季度汇总), computed from
the ledger as of one point.

A period is a calendar month, or a quarter of three, in China Standard Time. For each unit the figures
are:

* cases filed (立案) and solved (破案) in the period, by category: a case's category, filed and solved
  dates are those of its ``case_opened``, ``case_solved`` and latest ``case_corrected`` events up to the
  point. A case opened before categories and filed dates were recorded counts as filed on the day it was
  opened (China Standard Time), under no category (``""``, 未分类);
* firearms seized (registered in the period) by type and by calibre, rounds seized by calibre;
* firearms and rounds handed over, sealed, sampled (test-fired) and destroyed in the period, and in
  store at its end (see :mod:`custody.statistics_sql`, which computes the items' figures in the database).

Items count for their **owning unit** at the act (cases for the unit that opened them). A unit's figures
(``total``) are its own plus those of every unit below it (the units table's tree). Nothing is kept at
write time: every figure is computed at query time from ``custody_events`` with ``seq`` up to the point.

Who may read them: the statistics office, destruction officers and auditors, for their unit or a unit
below it (any other unit is answered as unknown).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection

from custody.actors import Actor, require_role
from custody.clock import CHINA, china_date, to_us
from custody.db.tables import EventRow, UnitRow
from custody.db.unit_of_work import UNKNOWN_UNIT, Store
from custody.errors import InvalidInput, Message, UnknownUnit
from custody.model import EventType, Role
from custody.report_point import ReportPoint, point_in
from custody.statistics_sql import (
    ROUNDS_SEIZED,
    SEIZED_BY_CALIBRE,
    SEIZED_BY_TYPE,
    Dialect,
    case_events,
    read_item_figures,
)

READERS = frozenset({Role.STATISTICS, Role.DESTRUCTION_OFFICER, Role.AUDITOR})
CASES_FILED = "cases_filed"
CASES_SOLVED = "cases_solved"

NOT_A_MONTH = Message("statistics.not_a_month", "a month is YYYY-MM, got {value!r}")
NOT_A_QUARTER = Message("statistics.not_a_quarter", "a quarter is YYYY-QN (N from 1 to 4), got {value!r}")

_events = cast(Table, EventRow.__table__)
_units = cast(Table, UnitRow.__table__)
_CASE_ACTS = (EventType.CASE_OPENED.value, EventType.CASE_SOLVED.value, EventType.CASE_CORRECTED.value)


@dataclass(frozen=True, slots=True)
class Period:
    """Calendar months ``[start, end)`` in China Standard Time: ``label`` is ``2026-11`` or ``2026-Q4``."""

    label: str
    start: date
    end: date  # the first day after the period

    @classmethod
    def month(cls, value: str) -> Period:
        found = re.fullmatch(r"(\d{4})-(\d{2})", value.strip())
        if found is None or not 1 <= int(found[2]) <= 12 or int(found[1]) < 1:
            raise InvalidInput(NOT_A_MONTH, "month", value=value)
        year, month = int(found[1]), int(found[2])
        return cls(f"{year:04d}-{month:02d}", date(year, month, 1), _months_on(year, month, 1))

    @classmethod
    def quarter(cls, value: str) -> Period:
        found = re.fullmatch(r"(\d{4})-[Qq]([1-4])", value.strip())
        if found is None or int(found[1]) < 1:
            raise InvalidInput(NOT_A_QUARTER, "quarter", value=value)
        year, first = int(found[1]), 3 * int(found[2]) - 2
        return cls(f"{year:04d}-Q{found[2]}", date(year, first, 1), _months_on(year, first, 3))

    @property
    def quarterly(self) -> bool:
        return "Q" in self.label

    @property
    def start_us(self) -> int:
        return to_us(datetime.combine(self.start, time(), CHINA))

    @property
    def end_us(self) -> int:
        return to_us(datetime.combine(self.end, time(), CHINA))


def _months_on(year: int, month: int, months: int) -> date:
    index = year * 12 + month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True, slots=True)
class Figure:
    """One number: a ``measure`` (e.g. ``firearms_sealed``), its ``key`` (a category, type or calibre;
    ``""`` for none) and its ``value``."""

    measure: str
    key: str
    value: int


@dataclass(frozen=True, slots=True)
class Figures:
    """A unit's numbers, sorted by measure and key; a measure not listed is zero."""

    figures: tuple[Figure, ...]

    def value(self, measure: str, key: str | None = None) -> int:
        """One number (``key`` None: the measure's total over its keys)."""
        return sum(f.value for f in self.figures if f.measure == measure and key in (None, f.key))

    def keys(self, measure: str) -> tuple[str, ...]:
        return tuple(f.key for f in self.figures if f.measure == measure)

    @classmethod
    def of(cls, counts: Mapping[tuple[str, str], int]) -> Figures:
        return cls(tuple(Figure(m, k, v) for (m, k), v in sorted(counts.items()) if v))

    def counts(self) -> Counter[tuple[str, str]]:
        return Counter({(f.measure, f.key): f.value for f in self.figures})

    @classmethod
    def sum(cls, parts: Iterable[Figures]) -> Figures:
        total: Counter[tuple[str, str]] = Counter()
        for part in parts:
            total.update(part.counts())
        return cls.of(total)


@dataclass(frozen=True, slots=True)
class UnitFigures:
    """A unit's own figures and its ``total``: own plus every child's total."""

    unit_code: str
    name: str
    parent_code: str | None
    children: tuple[str, ...]
    own: Figures
    total: Figures


@dataclass(frozen=True, slots=True)
class MonthlyFigures:
    """The figures of a period for a unit and every unit below it (``units``: that unit first, then
    depth-first by code), as of ledger ``point``."""

    period: Period
    unit_code: str
    point: ReportPoint
    units: tuple[UnitFigures, ...]

    def of(self, unit_code: str) -> UnitFigures:
        return next(u for u in self.units if u.unit_code == unit_code)


class Statistics:
    def __init__(self, store: Store) -> None:
        self.store = store

    def figures(
        self, viewer: Actor, period: Period, unit_code: str | None = None, as_of: int | None = None
    ) -> MonthlyFigures:
        """The figures of ``period`` for ``unit_code`` (default: the viewer's unit) and the units below
        it, as of ledger ``seq`` ``as_of`` (default: the head)."""
        require_role(viewer, READERS, "read the statistics")
        unit = unit_code or viewer.unit_code
        with self.store.report_reading() as conn:
            if unit not in self.store.units(conn, need=(unit,)) or not self.store.sees(viewer, unit, conn):
                raise UnknownUnit(UNKNOWN_UNIT, unit_code=unit)
            point = point_in(conn, as_of)
            own = own_figures(conn, point.seq, period)
            rows = conn.execute(select(_units.c.code, _units.c.parent_code, _units.c.name_zh)).all()
        parents = {code: parent for code, parent, _name in rows}
        names = {code: name for code, _parent, name in rows}
        return roll_up(period, unit, point, own, parents, names)


def own_figures(conn: Connection, seq: int, period: Period) -> dict[str, Counter[tuple[str, str]]]:
    """Every unit's own figures of ``period`` as of ``seq`` (units without any left out)."""
    own: dict[str, Counter[tuple[str, str]]] = {}
    for unit, measure, key, kind, items, rounds in read_item_figures(
        conn, seq, period.start_us, period.end_us
    ):
        counts = own.setdefault(unit, Counter())
        if measure in (SEIZED_BY_TYPE, SEIZED_BY_CALIBRE):
            counts[(measure, key)] += items
        elif measure == ROUNDS_SEIZED:
            counts[(measure, key)] += rounds
        elif kind == "F":
            counts[(f"firearms_{measure}", "")] += items
            if rounds:  # rounds used at the firearms' test-fires
                counts[(f"rounds_{measure}", "")] += rounds
        else:
            counts[(f"rounds_{measure}", "")] += rounds
    for unit, filed, solved, category in _cases(conn, seq):
        counts = own.setdefault(unit, Counter())
        if period.start.isoformat() <= filed < period.end.isoformat():
            counts[(CASES_FILED, category)] += 1
        if solved is not None and period.start.isoformat() <= solved < period.end.isoformat():
            counts[(CASES_SOLVED, category)] += 1
    return own


def _cases(conn: Connection, seq: int) -> Iterable[tuple[str, str, str | None, str]]:
    """Every case opened up to ``seq``: its unit, filed date, solved date and category ("": none)."""
    cases: dict[int, list[str | None]] = {}
    opened, solved_act = EventType.CASE_OPENED.value, EventType.CASE_SOLVED.value
    rows = conn.execute(case_events(Dialect(conn.dialect.name))).all()
    for at_seq, case_id, event_type, at_us, unit, filed, category, solved, corrected in rows:
        if at_seq > seq:
            break
        if event_type == opened:
            cases[case_id] = [unit, filed or china_date(at_us).isoformat(), None, category or ""]
        elif case_id in cases and event_type == solved_act:
            cases[case_id][2] = solved
        elif case_id in cases:
            changes = json.loads(corrected)["changes"]
            case = cases[case_id]
            for index, name in ((1, "filed_date"), (2, "solved_date"), (3, "category")):
                if name in changes:
                    case[index] = changes[name] or ""
    for unit, filed, solved, category in cases.values():
        yield str(unit), str(filed), solved, str(category or "")


def roll_up(
    period: Period,
    unit_code: str,
    point: ReportPoint,
    own: Mapping[str, Counter[tuple[str, str]]],
    parents: Mapping[str, str | None],
    names: Mapping[str, str],
) -> MonthlyFigures:
    """The figures of ``unit_code`` and every unit below it: each unit's total its own plus its
    children's totals."""
    children: dict[str, list[str]] = {}
    for code, parent in parents.items():
        if parent is not None:
            children.setdefault(parent, []).append(code)
    out: list[UnitFigures] = []

    def visit(code: str) -> Figures:
        index = len(out)
        out.append(UnitFigures(code, "", None, (), Figures(()), Figures(())))  # its place, filled below
        below = tuple(sorted(children.get(code, ())))
        totals = [visit(child) for child in below]
        mine = Figures.of(own.get(code, Counter()))
        total = Figures.sum([mine, *totals])
        out[index] = UnitFigures(code, names.get(code, code), parents.get(code), below, mine, total)
        return total

    visit(unit_code)
    return MonthlyFigures(period, unit_code, point, tuple(out))
