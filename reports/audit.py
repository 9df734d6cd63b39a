"""The audit report (枪支弹药封存库检查报告): one A4 PDF per closed audit, and its rows as CSV.

What the report guarantees:

* it names the audit, the audited unit and locations, the mode, whether it was blind, the seed in full
  (so anyone can re-draw the sample: SHA-256 of seed and evidence number), the auditor, the times, and
  the ledger point the audit closed at (``seq`` and ``hash`` in full, monospaced, on every page);
* the draw per category: population N, the first round's sample, what each escalation added, the
  total drawn;
* the findings counted per class and category, with totals; the discrepancy list with owners, due
  dates and where each stands;
* its totals add up before anything is drawn: every draw within its population (all of it in a full
  audit), every category's findings at least what it drew, every discrepancy class and category
  counted as often as the list names it; otherwise :class:`UnbalancedReport`, and no bytes;
* times in China Standard Time (北京时间, UTC+8); "第 n 页 / 共 m 页" on every page; the same report gives
  the same bytes.

A code read that the font cannot draw (a scanned code is anything the scanner read) is printed escaped
(``\\uXXXX``), so the list stays whole; every other text without a glyph refuses the report
(:class:`~reports.errors.UnprintableText`).

The CSV (:func:`audit_csv`) holds the same rows in one table: every row starts with the audit's id, seed
and closing ledger point, then ``section``: ``draw`` (a category's population, first round and total
drawn), ``count`` (a finding of a category and how many; category empty for codes that name no item)
or ``discrepancy`` (one per discrepancy).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Spacer, Table, TableStyle

from custody.audit_report import AuditReport, CategoryDraw, ReportDiscrepancy
from custody.clock import CHINA, from_us
from custody.model import AuditCategory, AuditMode, Finding
from labels.errors import MissingGlyph
from labels.fonts import LabelFont
from reports.document import (
    MONOSPACE,
    PAGE_WIDTH,
    PageSetup,
    checkpoint_text,
    continued_header,
    document_font,
    footer_rule,
    monospaced,
    page_number,
    paragraph,
    printable,
    render_numbered,
)
from reports.errors import ReportError

TITLE = "枪支弹药封存库检查报告"
TITLE_EN = "Audit report of the sealed store"
NOTHING = "—"
FINDING_TEXT = {
    Finding.FOUND: "相符 found",
    Finding.MISSING: "缺失 missing",
    Finding.UNEXPECTED: "账外物品 unexpected",
    Finding.WRONG_PLACE: "位置不符 wrong place",
    Finding.SEAL_BROKEN: "封条破损 seal broken",
    Finding.SEAL_MISMATCH: "封存内容不符 seal mismatch",
    Finding.UNKNOWN_CODE: "无法识别 unknown code",
}
CATEGORY_TEXT = {
    AuditCategory.FIREARM: "枪支 firearms",
    AuditCategory.AMMUNITION: "弹药 ammunition",
    AuditCategory.SAMPLE: "弹头弹壳样本 samples",
    None: "其他编码 other codes",
}
_STATUS = {"open": "未整改 open", "resolved": "已整改 resolved"}
_RESOLUTION = {
    "found_elsewhere": "他处找到 found elsewhere",
    "record_corrected": "已更正记录 record corrected",
    "reported_lost": "报失 reported lost",
}
_MODE = {AuditMode.FULL: "全面检查 full", AuditMode.SAMPLE: "抽样检查 sample (95% 置信度, ±3%)"}
_FOOT_TEXT = 7.0


class UnbalancedReport(ReportError):
    """The report's figures do not add up: it would state something its own numbers contradict."""

    code = "unbalanced-report"


def render_audit(report: AuditReport, *, font: LabelFont | None = None) -> bytes:
    """The report of a closed audit as A4 PDF bytes."""
    check_totals(report)
    face = document_font(font)
    for text, what in _texts(report):
        printable(face, text, what)
    if report.closed_hash is not None:
        monospaced(report.closed_hash, "closing ledger hash")
    if report.seed.isascii():
        monospaced(report.seed, "seed")
    else:
        printable(face, report.seed, "seed")
    setup = PageSetup(top=22 * mm, bottom=26 * mm)
    styles = _Styles(face)

    def decorate(canvas: Any, page: int, total: int) -> None:
        _header(canvas, report, face, setup, page)
        _footer(canvas, report, face, setup, page, total)

    return render_numbered(
        lambda: _story(report, styles, setup),
        decorate,
        setup=setup,
        font=face,
        title=f"{TITLE} {report.audit_id}",
    )


def check_totals(report: AuditReport) -> None:
    """Refuse a report whose figures contradict each other (:class:`UnbalancedReport`)."""
    for draw in report.draws:
        if draw.drawn > draw.population or draw.first_round > draw.population:
            raise UnbalancedReport(
                f"{draw.category.value}: {draw.drawn} drawn of a population of {draw.population}"
            )
        if report.mode is AuditMode.FULL and draw.drawn != draw.population:
            raise UnbalancedReport(
                f"{draw.category.value}: a full audit drew {draw.drawn} of {draw.population}"
            )
        judged = sum(report.count(f, draw.category) for f in Finding)
        if judged < draw.drawn:
            raise UnbalancedReport(
                f"{draw.category.value}: {draw.drawn} drawn but only {judged} findings recorded"
            )
    for finding in Finding:
        if finding is Finding.FOUND:
            continue
        for category in (*AuditCategory, None):
            counted = sum(c.count for c in report.counts if c.finding is finding and c.category is category)
            listed = sum(1 for d in report.discrepancies if d.finding is finding and d.category is category)
            if counted != listed:
                raise UnbalancedReport(
                    f"{finding.value} of {category or 'other codes'}: counted {counted}, listed {listed}"
                )
    if report.closed_seq is None or report.closed_hash is None:
        raise UnbalancedReport(f"audit {report.audit_id} names no ledger point it closed at")


def audit_csv(report: AuditReport) -> str:
    """The report's rows as CSV text (see the module's documentation for the layout)."""
    check_totals(report)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            "audit_id",
            "seed",
            "closed_seq",
            "closed_hash",
            "section",
            "category",
            "finding",
            "count",
            "population",
            "first_round",
            "drawn",
            "discrepancy_id",
            "code",
            "owner_username",
            "owner_name",
            "due_date",
            "status",
            "resolution",
        ]
    )
    lead = [report.audit_id, report.seed, report.closed_seq, report.closed_hash]
    for draw in report.draws:
        row = ["draw", draw.category.value, "", "", draw.population, draw.first_round, draw.drawn]
        writer.writerow([*lead, *row, *[""] * 7])
    for counted in report.counts:
        category = "" if counted.category is None else counted.category.value
        writer.writerow([*lead, "count", category, counted.finding.value, counted.count, *[""] * 10])
    for d in report.discrepancies:
        writer.writerow(
            [
                *lead,
                "discrepancy",
                "" if d.category is None else d.category.value,
                d.finding.value,
                "",
                "",
                "",
                "",
                d.id,
                d.code,
                d.owner.username,
                d.owner.name,
                d.due_date,
                d.status.value,
                d.resolution or "",
            ]
        )
    return out.getvalue()


# ------------------------------------------------------------------------------------------ the flow


class _Styles:
    def __init__(self, font: LabelFont) -> None:
        def style(name: str, size: float, **extra: Any) -> ParagraphStyle:
            return ParagraphStyle(
                name, fontName=font.name, fontSize=size, leading=size * 1.3, wordWrap="CJK", **extra
            )

        self.font = font
        self.title = style("title", 18, alignment=TA_CENTER, spaceAfter=2)
        self.subtitle = style("subtitle", 11, alignment=TA_CENTER, spaceAfter=6 * mm)
        self.section = style("section", 12, spaceBefore=5 * mm, spaceAfter=2 * mm)
        self.label = style("label", 8.5, textColor=colors.HexColor("#333333"))
        self.value = style("value", 10)
        self.head = style("head", 8)
        self.cell = style("cell", 8.5)
        self.words = ParagraphStyle(
            "words", fontName=font.name, fontSize=8.5, leading=8.5 * 1.3
        )  # breaks between words only
        self.mono = ParagraphStyle("mono", fontName=MONOSPACE, fontSize=8.5, leading=11)


def _story(report: AuditReport, styles: _Styles, setup: PageSetup) -> list[Any]:
    return [
        paragraph(TITLE, styles.title),
        paragraph(TITLE_EN, styles.subtitle),
        _particulars(report, styles, setup),
        paragraph("一、抽样 Draw", styles.section),
        _draw_table(report, styles, setup),
        paragraph("二、检查结果 Findings", styles.section),
        _finding_table(report, styles, setup),
        paragraph("三、差异清单 Discrepancies", styles.section),
        _discrepancy_table(report, styles, setup),
        KeepTogether([Spacer(1, 10 * mm), _signature(report, styles, setup)]),
        Spacer(1, 6 * mm),
        paragraph(checkpoint_text(report.checkpoint), styles.label),
    ]


def _grid(rows: list[list[Any]], widths: list[float], font: LabelFont, size: float) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1, splitByRow=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 1), (-1, -1), font.name, size, size * 1.3),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6e6e6")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _particulars(report: AuditReport, styles: _Styles, setup: PageSetup) -> Any:
    places = "、".join(report.locations) if report.locations else "全库 whole store"
    rows: list[tuple[str, Any]] = [
        ("检查编号 Audit no.", paragraph(str(report.audit_id), styles.value)),
        ("被检查单位 Unit", paragraph(f"{report.unit_name} ({report.unit_code})", styles.value)),
        ("检查范围 Locations", paragraph(places, styles.value)),
        ("检查方式 Mode", paragraph(_MODE[report.mode], styles.value)),
        ("盲检 Blind", paragraph("是 yes" if report.blind else "否 no", styles.value)),
        ("随机种子 Seed", paragraph(report.seed, styles.mono if report.seed.isascii() else styles.value)),
        ("检查轮次 Rounds", paragraph(str(report.rounds), styles.value)),
        ("检查人 Auditor", paragraph(f"{report.auditor.name} ({report.auditor.username})", styles.value)),
        ("开始时间 Opened", paragraph(_cst(report.opened_at_us), styles.value)),
        ("结束时间 Closed", paragraph(_cst(report.closed_at_us), styles.value)),
        ("账本 Ledger seq", paragraph(str(report.closed_seq), styles.mono)),
        ("账本 Ledger hash", paragraph(report.closed_hash or NOTHING, styles.mono)),
    ]
    table = Table(
        [[paragraph(label, styles.label), value] for label, value in rows],
        colWidths=[40 * mm, setup.width - 40 * mm],
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.lightgrey),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _draw_table(report: AuditReport, styles: _Styles, setup: PageSetup) -> Any:
    header = (
        "类别\nCategory",
        "总数 N\nPopulation",
        "首轮抽取\nFirst round",
        "追加 Escalations",
        "合计\nDrawn",
    )
    rows: list[list[Any]] = [[paragraph(text, styles.head) for text in header]]
    for draw in report.draws:
        rows.append(
            [
                CATEGORY_TEXT[draw.category],
                str(draw.population),
                str(draw.first_round),
                paragraph(_escalations(draw), styles.cell),
                str(draw.drawn),
            ]
        )
    if not report.draws:
        rows.append([NOTHING, "0", "0", NOTHING, "0"])
    widths = [40 * mm, 25 * mm, 25 * mm, setup.width - 115 * mm, 25 * mm]
    return _grid(rows, widths, styles.font, styles.cell.fontSize)


def _escalations(draw: CategoryDraw) -> str:
    added = [f"第 {at} 轮 round {at}: +{n}" for at, n in enumerate(draw.rounds[1:], start=2)]
    return "；".join(added) if added else NOTHING


def _finding_table(report: AuditReport, styles: _Styles, setup: PageSetup) -> Any:
    columns: list[AuditCategory | None] = [*AuditCategory, None]
    header = ["结果 Finding", *(CATEGORY_TEXT[c] for c in columns), "合计 Total"]
    rows: list[list[Any]] = [[paragraph(text, styles.head) for text in header]]
    for finding in Finding:
        counts = [report.count(finding, c) if c is not None else _other(report, finding) for c in columns]
        rows.append([FINDING_TEXT[finding], *(str(n) for n in counts), str(sum(counts))])
    totals = [sum(c.count for c in report.counts if c.category is category) for category in columns]
    rows.append(["合计 Total", *(str(n) for n in totals), str(sum(totals))])
    first = 42 * mm
    widths = [first, *[(setup.width - first) / (len(columns) + 1)] * (len(columns) + 1)]
    table = _grid(rows, widths, styles.font, styles.cell.fontSize)
    table.setStyle(
        TableStyle([("ALIGN", (1, 1), (-1, -1), "RIGHT"), ("LINEABOVE", (0, -1), (-1, -1), 1, colors.black)])
    )
    return table


def _other(report: AuditReport, finding: Finding) -> int:
    return sum(c.count for c in report.counts if c.finding is finding and c.category is None)


def _discrepancy_table(report: AuditReport, styles: _Styles, setup: PageSetup) -> Any:
    header = (
        "序号\nNo.",
        "编号\nID",
        "差异类型\nFinding",
        "类别\nCategory",
        "编码\nCode",
        "责任人\nOwner",
        "整改期限\nDue",
        "状态\nStatus",
    )
    rows: list[list[Any]] = [[paragraph(text, styles.head) for text in header]]
    for number, found in enumerate(report.discrepancies, start=1):
        rows.append(
            [
                str(number),
                str(found.id),
                paragraph(FINDING_TEXT[found.finding].replace(" ", "\n", 1), styles.words),
                paragraph(CATEGORY_TEXT[found.category].replace(" ", "\n", 1), styles.words),
                paragraph(shown_code(styles.font, found.code), styles.cell),
                paragraph(f"{found.owner.name}\n({found.owner.username})", styles.cell),
                found.due_date,
                paragraph(_status(found), styles.cell),
            ]
        )
    if not report.discrepancies:
        rows.append(["", "", paragraph("无差异 no discrepancies", styles.cell), "", "", "", "", ""])
    fixed = [10 * mm, 10 * mm, 24 * mm, 23 * mm, 42 * mm, 25 * mm, 19 * mm]
    return _grid(rows, [*fixed, setup.width - sum(fixed)], styles.font, styles.cell.fontSize)


def _status(found: ReportDiscrepancy) -> str:
    text = _STATUS.get(found.status.value, found.status.value)
    if found.resolution:
        text += "\n" + _RESOLUTION.get(found.resolution, found.resolution)
    if found.resolved_seq is not None:
        text += f"\nseq {found.resolved_seq}"
    return text


def shown_code(font: LabelFont, code: str) -> str:
    """A code as the report prints it: as read when the font draws it, escaped otherwise."""
    try:
        return font.check(code, what="code")
    except MissingGlyph:
        return code.encode("unicode_escape").decode("ascii")


def _signature(report: AuditReport, styles: _Styles, setup: PageSetup) -> Any:
    label = 30 * mm
    rows = [
        [paragraph("检查人\nAuditor", styles.label), paragraph(report.auditor.name, styles.value), ""],
        [paragraph("签名 Signature", styles.label), "", ""],
        [paragraph("日期 Date", styles.label), "", ""],
    ]
    table = Table(
        rows, colWidths=[label, setup.width / 2 - label, setup.width / 2], rowHeights=[None, 14 * mm, 10 * mm]
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, 0), "TOP"),
                ("VALIGN", (0, 1), (-1, -1), "BOTTOM"),
                ("LINEBELOW", (1, 1), (1, 2), 0.6, colors.black),
            ]
        )
    )
    return table


# ------------------------------------------------------------------------------ header and footer


def _header(canvas: Any, report: AuditReport, font: LabelFont, setup: PageSetup, page: int) -> None:
    continued_header(
        canvas,
        font,
        setup,
        page,
        f"{TITLE}（续 continued）",
        f"检查编号 Audit no. {report.audit_id}   {report.unit_name}",
    )


def _footer(
    canvas: Any, report: AuditReport, font: LabelFont, setup: PageSetup, page: int, total: int
) -> None:
    left, right = setup.left, PAGE_WIDTH - setup.right
    top = footer_rule(canvas, setup)
    baseline = top - 3.6 * mm
    canvas.setFont(font.name, _FOOT_TEXT)
    canvas.drawString(left, baseline, f"检查编号 Audit no. {report.audit_id}  结束时的账本 Ledger at closing")
    chained = f"seq {report.closed_seq}  {report.closed_hash}"
    size = min(_FOOT_TEXT, (right - left) * 0.6 / (0.6 * len(chained)))
    canvas.setFont(MONOSPACE, size)
    canvas.drawRightString(right, baseline, chained)
    page_number(canvas, font, page, total)


# ---------------------------------------------------------------------------------------- values


def _cst(us: int) -> str:
    return from_us(us).astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S") + " 北京时间 (UTC+8)"


def _texts(report: AuditReport) -> list[tuple[str, str]]:
    """Every value the report prints in the document font, with what it is (for a refusal); codes
    read are printed escaped where the font lacks a glyph and are not refused."""
    texts = [
        (report.unit_name, "unit name"),
        (report.auditor.name, "auditor: name"),
        (report.auditor.username, "auditor: username"),
        *((place, "location") for place in report.locations),
    ]
    for found in report.discrepancies:
        texts += [
            (found.owner.name, f"discrepancy {found.id}: owner's name"),
            (found.owner.username, f"discrepancy {found.id}: owner's username"),
            (found.due_date, f"discrepancy {found.id}: due date"),
        ]
    return texts
