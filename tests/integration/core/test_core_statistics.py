"""The monthly statistics on SQLite and PostgreSQL: a month built by hand gives the figures worked out
by hand, per unit and rolled up the unit tree; as of a ledger point, events after it change nothing;
a unit outside the reader's scope is unknown, and reading writes nothing."""

from __future__ import annotations

import pytest
from seal_world import assert_ledger_sound
from stats_world import CHANGCHUN_TOTAL, JILIN_STATS, JILIN_TOTAL, MARCH, STATS, april, build

from custody.clock import FixedClock
from custody.errors import InvalidInput, NotPermitted, UnknownUnit
from custody.services import Custody
from custody.statistics import MonthlyFigures, Period, Statistics


def _as_dict(figures: MonthlyFigures, unit: str, own: bool = True) -> dict[tuple[str, str], int]:
    found = figures.of(unit)
    return dict((found.own if own else found.total).counts())


def test_a_month_by_hand(custody: Custody, clock: FixedClock):
    end_of_march, cases = build(custody, clock)
    stats = Statistics(custody.store)
    reader = custody.users.actor(STATS)
    march = stats.figures(reader, Period.month("2026-03"))
    assert march.point.seq == end_of_march
    for unit, expected in MARCH.items():
        assert _as_dict(march, unit) == expected, unit
    assert _as_dict(march, "220100", own=False) == CHANGCHUN_TOTAL
    assert _as_dict(march, "220200", own=False) == JILIN_TOTAL
    province = march.of("220000")
    assert province.total.value("firearms_seized_by_type") == 9 + 24
    assert province.total.value("cases_filed") == 8 + 12
    assert province.total.value("rounds_seized_by_calibre") == 220
    for unit in march.units:  # every unit's total is its own plus its children's
        children = [march.of(c).total for c in unit.children]
        assert unit.total.counts() == sum((c.counts() for c in children), unit.own.counts())

    # February: the handed-over firearm and lot, the possession case of Nanguan, Changyi's late filing
    february = stats.figures(reader, Period.month("2026-02"))
    assert _as_dict(february, "220102") == {
        ("cases_filed", "possession"): 1,
        ("firearms_seized_by_type", "手枪"): 1,
        ("firearms_seized_by_calibre", "7.62mm"): 1,
        ("rounds_seized_by_calibre", "7.62mm"): 30,
        ("firearms_handed_over", ""): 1,
        ("rounds_handed_over", ""): 30,
        ("firearms_in_store", ""): 1,
        ("rounds_in_store", ""): 30,
    }
    assert _as_dict(february, "220202") == {("cases_filed", "possession"): 1}

    # April's events: as of the end of March nothing changes; at the head the late solving counts
    april(custody, clock, cases)
    again = stats.figures(reader, Period.month("2026-03"), as_of=end_of_march)
    assert again.units == march.units
    head = stats.figures(reader, Period.month("2026-03"))
    assert _as_dict(head, "220103")[("cases_solved", "gun_crime")] == 1
    assert head.of("220103").own.value("firearms_seized_by_type") == 2  # April's gun is not March's

    # the quarter adds up its months
    quarter = stats.figures(reader, Period.quarter("2026-Q1"), as_of=end_of_march)
    totals = quarter.of("220000").total
    assert totals.value("cases_filed") == 8 + 12 + 2  # February's two filed cases
    assert totals.value("firearms_handed_over") == 3 + 1
    assert totals.value("firearms_in_store") == 3  # at the end of the quarter
    assert_ledger_sound(custody)


def test_scope_and_roles(custody: Custody, clock: FixedClock):
    build(custody, clock)
    stats = Statistics(custody.store)
    head = custody.ledger.head()
    jilin = custody.users.actor(JILIN_STATS)
    assert stats.figures(jilin, Period.month("2026-03")).unit_code == "220200"
    for unit in ("220100", "220102", "220000", "999999"):
        with pytest.raises(UnknownUnit):
            stats.figures(jilin, Period.month("2026-03"), unit)
    with pytest.raises(NotPermitted):
        stats.figures(custody.users.actor("ng-clerk"), Period.month("2026-03"))
    auditor = stats.figures(custody.users.actor("ng-auditor"), Period.month("2026-03"))
    assert [u.unit_code for u in auditor.units] == ["220102"]
    with pytest.raises(InvalidInput):
        stats.figures(jilin, Period.month("2026-13"))
    with pytest.raises(InvalidInput):
        Period.quarter("2026-Q5")
    with pytest.raises(InvalidInput):
        stats.figures(jilin, Period.month("2026-03"), as_of=head.seq + 1)
    assert custody.ledger.head() == head


def test_case_acts_are_ledger_rows(custody: Custody, clock: FixedClock):
    clerk = custody.users.actor("ng-clerk")
    opened = custody.cases.open(clerk, "K1", "t", category="smuggling", filed_date="2026-03-01")
    assert (opened.category, opened.filed_date, opened.solved_date) == ("smuggling", "2026-03-01", None)
    default = custody.cases.open(clerk, "K2")
    assert (default.category, default.filed_date) == (None, "2026-03-02")
    head = custody.ledger.head()
    for act, key in (
        (lambda: custody.cases.open(clerk, "K3", category="nonsense"), "case.category_unknown"),
        (lambda: custody.cases.open(clerk, "K3", filed_date="2026-03-03"), "case.date_in_future"),
        (lambda: custody.cases.solved(clerk, "K1", "2026-02-28"), "case.solved_before_filed"),
        (lambda: custody.cases.correct(clerk, "K1", {"solved_date": "2026-03-02"}, "r"), "case.not_solved"),
        (lambda: custody.cases.correct(clerk, "K1", {"title": "x"}, "r"), "case.not_correctable"),
        (lambda: custody.cases.correct(clerk, "K1", {}, "r"), "case.correction_empty"),
    ):
        with pytest.raises(Exception) as refused:
            act()
        assert getattr(refused.value, "key", None) == key
    assert custody.ledger.head() == head
    solved = custody.cases.solved(clerk, "K1", "2026-03-02")
    assert solved.solved_date == "2026-03-02" and solved.status.value == "open"
    with pytest.raises(Exception) as again:
        custody.cases.solved(clerk, "K1", "2026-03-02")
    assert getattr(again.value, "key", None) == "case.already_solved"
    fixed = custody.cases.correct(
        clerk, "K1", {"filed_date": "2026-02-27", "category": "trade"}, "立案日期有误"
    )
    assert (fixed.category, fixed.filed_date) == ("trade", "2026-02-27")
    stored = custody.cases.get(clerk, "K1")
    assert (stored.category, stored.filed_date, stored.solved_date) == ("trade", "2026-02-27", "2026-03-02")
    assert_ledger_sound(custody)
