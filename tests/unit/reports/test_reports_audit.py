"""The audit report (枪支弹药封存库检查报告) from its values: what it prints, read back with pdfplumber; the
refusal of figures that do not add up; codes the font cannot draw; the CSV of the same rows."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, datetime

import pdfplumber
import pytest

from custody.audit_report import AuditReport, CategoryDraw, FindingCount, ReportDiscrepancy, ReportPerson
from custody.clock import to_us
from custody.model import AuditCategory, AuditMode, DiscrepancyStatus, Finding
from reports import UnbalancedReport, UnprintableText, audit_csv, render_audit

HASH = "3f" * 32
OWNER = ReportPerson("ng-custodian", "南关治安")
OPENED = to_us(datetime(2026, 3, 2, 1, 30, tzinfo=UTC))


def discrepancy(
    number: int, finding: Finding, category: AuditCategory | None, code: str
) -> ReportDiscrepancy:
    return ReportDiscrepancy(
        id=number,
        finding=finding,
        category=category,
        code=code,
        detail="",
        owner=OWNER,
        due_date="2026-04-01",
        status=DiscrepancyStatus.OPEN,
        resolution=None,
        resolved_seq=None,
    )


LISTED = (
    discrepancy(1, Finding.MISSING, AuditCategory.FIREARM, "F220102202600000562"),
    discrepancy(2, Finding.SEAL_BROKEN, AuditCategory.AMMUNITION, "A220102202600000425"),
    discrepancy(3, Finding.UNKNOWN_CODE, None, "XYZ-NOT-A-CODE"),
)


def report(**changes: object) -> AuditReport:
    made = AuditReport(
        audit_id=7,
        unit_code="220102",
        unit_name="南关区公安分局",
        locations=("L220102-A-1-01",),
        mode=AuditMode.SAMPLE,
        blind=True,
        seed="20261203",
        rounds=2,
        auditor=ReportPerson("ng-auditor", "南关督察"),
        opened_at_us=OPENED,
        closed_at_us=OPENED + 3_600_000_000,
        draws=(
            CategoryDraw(AuditCategory.FIREARM, 60, (50, 10)),
            CategoryDraw(AuditCategory.AMMUNITION, 12, (10,)),
        ),
        counts=(
            FindingCount(Finding.FOUND, AuditCategory.FIREARM, 59),
            FindingCount(Finding.FOUND, AuditCategory.AMMUNITION, 9),
            FindingCount(Finding.MISSING, AuditCategory.FIREARM, 1),
            FindingCount(Finding.SEAL_BROKEN, AuditCategory.AMMUNITION, 1),
            FindingCount(Finding.UNKNOWN_CODE, None, 1),
        ),
        discrepancies=LISTED,
        closed_seq=412,
        closed_hash=HASH,
    )
    return replace(made, **changes)  # type: ignore[arg-type]


def text_of(pdf: bytes) -> str:
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return "\n".join(page.extract_text() or "" for page in document.pages)


def test_the_report_prints_the_audit_its_draw_findings_and_discrepancies():
    text = text_of(render_audit(report()))
    assert "枪支弹药封存库检查报告" in text and "南关区公安分局 (220102)" in text
    assert "20261203" in text and HASH in text.replace("\n", "") and "412" in text
    assert "南关督察 (ng-auditor)" in text and "抽样检查" in text and "是 yes" in text
    assert "2026-03-02 09:30:00 北京时间" in text  # China Standard Time
    assert "第 2 轮 round 2: +10" in text  # the escalation
    for found in LISTED:
        assert found.code in text
    assert "第 1 页 / 共 2 页" in text and "第 2 页 / 共 2 页" in text


def test_counts_that_disagree_with_the_list_refuse_the_report():
    short = report(discrepancies=LISTED[:2])
    with pytest.raises(UnbalancedReport, match="unknown_code of other codes: counted 1, listed 0"):
        render_audit(short)
    with pytest.raises(UnbalancedReport):
        audit_csv(short)


def test_a_draw_beyond_its_population_or_findings_short_of_the_draw_refuse_the_report():
    with pytest.raises(UnbalancedReport, match="drawn of a population"):
        render_audit(report(draws=(CategoryDraw(AuditCategory.FIREARM, 5, (5, 2)),)))
    with pytest.raises(UnbalancedReport, match="a full audit drew 10 of 12"):
        render_audit(report(mode=AuditMode.FULL))
    few = report(counts=tuple(c for c in report().counts if c.category is not AuditCategory.FIREARM))
    with pytest.raises(UnbalancedReport, match="findings recorded"):
        render_audit(replace(few, discrepancies=LISTED[1:]))
    with pytest.raises(UnbalancedReport, match="ledger point"):
        render_audit(report(closed_seq=None, closed_hash=None))


def test_a_code_the_font_cannot_draw_prints_escaped_and_a_name_refuses():
    odd = discrepancy(3, Finding.UNKNOWN_CODE, None, "X\U0001f52bY")
    text = text_of(render_audit(report(discrepancies=(*LISTED[:2], odd))))
    assert "X\\U0001f52bY" in text
    with pytest.raises(UnprintableText):
        render_audit(report(auditor=ReportPerson("ng-auditor", "督察\U0001f52b")))


def test_a_long_list_continues_over_numbered_pages_with_every_code_once():
    many = tuple(discrepancy(n, Finding.UNKNOWN_CODE, None, f"CODE-{n:04d}") for n in range(1, 121))
    big = report(
        discrepancies=(*LISTED[:2], *many),
        counts=(*report().counts[:4], FindingCount(Finding.UNKNOWN_CODE, None, 120)),
    )
    pdf = render_audit(big)
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        pages = [page.extract_text() or "" for page in document.pages]
    assert len(pages) >= 3
    assert all(f"/ 共 {len(pages)} 页" in page for page in pages)
    text = "\n".join(pages)
    assert all(text.count(f"CODE-{n:04d}") == 1 for n in range(1, 121))
    assert render_audit(big) == pdf  # the same report gives the same bytes


def test_the_csv_holds_the_draw_the_counts_and_one_row_per_discrepancy():
    rows = list(csv.DictReader(io.StringIO(audit_csv(report()))))
    assert {(r["audit_id"], r["seed"], r["closed_seq"], r["closed_hash"]) for r in rows} == {
        ("7", "20261203", "412", HASH)
    }
    draws = [
        (r["category"], r["population"], r["first_round"], r["drawn"]) for r in rows if r["section"] == "draw"
    ]
    assert draws == [("firearm", "60", "50", "60"), ("ammunition", "12", "10", "10")]
    counts = {(r["category"], r["finding"]): r["count"] for r in rows if r["section"] == "count"}
    assert counts[("", "unknown_code")] == "1" and counts[("firearm", "found")] == "59"
    listed = [
        (r["discrepancy_id"], r["code"], r["owner_name"]) for r in rows if r["section"] == "discrepancy"
    ]
    assert listed == [(str(d.id), d.code, "南关治安") for d in LISTED]
