"""The destruction batch report's renderer: a report whose figures add up renders, and one whose rows,
totals or item list disagree is refused with no bytes; the CSV holds the tally's rows and totals."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import pdfplumber
import pytest

from custody.batch_report import (
    BatchReport,
    Person,
    ReportFinding,
    ReportItem,
    ReportPhoto,
    ReportWitness,
    Tally,
    TallyRow,
)
from custody.model import ItemState
from custody.numbers import ItemKind
from custody.report_point import ReportPoint
from reports.batch import batch_csv, render_batch
from reports.errors import ReportError, UnbalancedBatch, UnprintableText

AT = "2026-04-15T01:30:00+00:00"
PNG = bytes.fromhex(  # a 1×1 red PNG
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c49444154789c63f8cf"
    "c0000003010100c9fe92ef0000000049454e44ae426082"
)


def item(number: str, kind: ItemKind, outcome: str, state: ItemState, **more: object) -> ReportItem:
    values: dict[str, object] = dict(
        firearm_type=None, calibre="7.62mm", serial_number=None, rounds=None, samples=(), reason=None
    )
    values.update(more)
    return ReportItem(number, kind, "220102", outcome=outcome, state=state, **values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def report() -> BatchReport:
    """By hand: a firearm destroyed (two samples), a lot of 50 destroyed, a lot of 30 withdrawn."""
    gun = item(
        "F220102202600000011",
        ItemKind.FIREARM,
        "destroyed",
        ItemState.DESTROYED,
        firearm_type="手枪",
        serial_number="54-0001",
        samples=("B220102202600000012", "C220102202600000013"),
    )
    lot = item("A220102202600000014", ItemKind.AMMUNITION, "destroyed", ItemState.DESTROYED, rounds=50)
    back = item(
        "A220102202600000015", ItemKind.AMMUNITION, "withdrawn", ItemState.SEALED, rounds=30, reason="待复核"
    )
    rows = (
        TallyRow(
            "220102", "南关区公安分局", ItemKind.AMMUNITION, None, "7.62mm", Tally(2, 2, 1, 1, 80, 50, 30)
        ),
        TallyRow("220102", "南关区公安分局", ItemKind.FIREARM, "手枪", "7.62mm", Tally(1, 1, 1, 0, 0, 0, 0)),
    )
    officer = Person("prov-destruction", "省厅销毁专员")
    return BatchReport(
        batch_id=3,
        point=ReportPoint(40, "cd" * 32, None, 44, None),
        status="closed",
        planned_method="smelting",
        planned_place="长春钢厂熔炉",
        planned_date="2026-04-15",
        site_method="cutting",
        site_place="长春钢厂切割车间",
        opened_at=AT,
        closed_at=AT,
        builder=officer,
        officer=officer,
        approver=Person("prov-destruction2", "省厅销毁专员二"),
        closed_seq=40,
        closed_hash="cd" * 32,
        rows=rows,
        totals=Tally(3, 3, 2, 1, 80, 50, 30),
        items=(back, lot, gun),
        witnesses=(ReportWitness("kc-clerk", "宽城物证管理员", "220103", "宽城区公安分局", AT),),
        photos=(ReportPhoto(gun.evidence_no, "before", "ef" * 32, "image/png", len(PNG), 30, PNG),),
        findings=(ReportFinding("unknown", "NOT-A-CODE", None, None, None, "no item", AT),),
    )


def test_a_balanced_report_renders_every_item(report: BatchReport):
    with pdfplumber.open(io.BytesIO(render_batch(report))) as pdf:
        text = "\n".join(page.extract_text() or "" for page in pdf.pages)
    for item in report.items:
        assert item.evidence_no in text
    assert all(p.sha256 in text for p in report.photos)


def test_totals_that_are_not_the_rows_sum_are_refused(report: BatchReport):
    wrong = replace(report, totals=replace(report.totals, destroyed=report.totals.destroyed + 1))
    with pytest.raises(UnbalancedBatch, match="destroyed"):
        render_batch(wrong)
    with pytest.raises(UnbalancedBatch):
        batch_csv(wrong)


def test_a_row_the_item_list_contradicts_is_refused(report: BatchReport):
    first = report.rows[0]
    moved = replace(first.tally, destroyed=first.tally.destroyed - 1, withdrawn=first.tally.withdrawn + 1)
    totals = replace(
        report.totals, destroyed=report.totals.destroyed - 1, withdrawn=report.totals.withdrawn + 1
    )
    wrong = replace(report, rows=(replace(first, tally=moved), *report.rows[1:]), totals=totals)
    with pytest.raises(UnbalancedBatch, match="item list"):
        render_batch(wrong)


def test_more_destroyed_and_withdrawn_than_approved_is_refused(report: BatchReport):
    over = Tally(1, 1, 1, 1, 0, 0, 0)
    with pytest.raises(UnbalancedBatch):
        render_batch(replace(report, totals=over, rows=(replace(report.rows[0], tally=over),)))


def test_an_item_counted_destroyed_but_not_destroyed_at_the_point_is_refused(report: BatchReport):
    index = next(n for n, i in enumerate(report.items) if i.outcome == "destroyed")
    items = list(report.items)
    items[index] = replace(items[index], state=ItemState.APPROVED)
    with pytest.raises(ReportError, match="counted destroyed"):
        render_batch(replace(report, items=tuple(items)))


def test_the_csv_holds_the_tally_rows_and_the_totals(report: BatchReport):
    rows = list(csv.reader(io.StringIO(batch_csv(report).decode("utf-8-sig"))))
    assert len(rows) == 1 + len(report.rows) + 1
    assert rows[-1][3] == "total"
    for column in range(8, len(rows[0])):
        assert sum(int(r[column]) for r in rows[1:-1]) == int(rows[-1][column])


def test_a_serial_number_the_font_cannot_draw_is_refused_by_name(report: BatchReport):
    items = [
        replace(i, serial_number="54-\U0001f600") if i.kind is ItemKind.FIREARM else i for i in report.items
    ]
    with pytest.raises(UnprintableText, match="F220102202600000011"):
        render_batch(replace(report, items=tuple(items)))
