"""The destruction batch report (枪支弹药销毁报告): one A4 PDF per provincial destruction batch, and its
rows as CSV.

What the report guarantees:

* it names the batch, its planned and actual method and place, the planned date, when the site opened
  and closed, the officer who destroyed, the approver, and the ledger point every figure was computed
  at (``seq`` and hash in full) with the latest signed checkpoint;
* the tally per owning unit, kind, firearm type and calibre (items and rounds approved, destroyed,
  withdrawn, still to destroy) with a totals row; the item list (serial numbers, rounds, state at the
  point, each firearm's ballistic samples); the withdrawals with their reasons; the site's findings;
  the witnesses; every photo as a thumbnail with its SHA-256 in full beneath; signature blocks for the
  officer, each witness and the approver;
* its figures add up before anything is drawn: the rows to the totals, the totals to the item list
  (items and rounds; approved = destroyed + withdrawn + still approved); otherwise
  :class:`~reports.errors.UnbalancedBatch`, and no bytes;
* times in China Standard Time (北京时间, UTC+8); "第 n 页 / 共 m 页" on every page; the same report gives
  the same bytes.

The item list is drawn straight on the canvas (:mod:`reports.row_list`), laid out once; the pass that
only counts pages lays it and the photos out without drawing them.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import Flowable, KeepTogether, Table, TableStyle

from custody.batch_report import BatchReport, ReportItem, Tally
from custody.clock import CHINA
from custody.model import ItemState
from custody.numbers import ItemKind
from labels.errors import MissingGlyph
from labels.evidence import KIND_TEXT
from labels.fonts import LabelFont
from reports.audit import shown_code
from reports.batch_check import check_totals, tally_key
from reports.document import (
    MONOSPACE,
    PAGE_WIDTH,
    PageSetup,
    continued_header,
    csv_bytes,
    document_font,
    footer_rule,
    ledger_point_lines,
    page_number,
    paragraph,
    printable,
    render_numbered,
)
from reports.errors import UnprintableText
from reports.row_list import Layout, RowList

TITLE = "枪支弹药销毁报告"
TITLE_EN = "Report of the destruction of firearms and ammunition"
NOTHING = "—"
METHOD_TEXT = {"smelting": "熔炼", "cutting": "切割", "crushing": "压碎", "shredding": "粉碎"}
STATUS_TEXT = {"open": "组批中", "approved": "已批准", "site": "销毁中", "closed": "已结束"}
STATE_TEXT = {
    ItemState.DESTROYED: "已销毁",
    ItemState.APPROVED: "待销毁",
    ItemState.NOMINATED: "报请销毁",
    ItemState.SEALED: "封存",
}
FINDING_TEXT = {
    "unknown": "无法识别",
    "unexpected": "非本批物品",
    "rounds_differ": "数量不符",
    "uncounted": "未清点",
    "refused": "拒绝销毁",
}
STAGE_TEXT = {"before": "销毁前", "after": "销毁后"}
LIST_HEADER = ("序号", "物证编号", "单位", "类别", "枪种", "口径", "枪号", "数量(发)", "状态", "弹头弹壳样本")
LIST_WIDTHS = (26.0, 84.0, 30.0, 32.0, 40.0, 34.0, 54.0, 30.0, 38.0)
LIST_SIZE = 7.0
TALLY_HEADER = (
    "单位",
    "类别",
    "枪种",
    "口径",
    "批入",
    "批准",
    "销毁",
    "撤回",
    "待销毁",
    "批准(发)",
    "销毁(发)",
    "撤回(发)",
    "待销毁(发)",
)
THUMB_WIDTH, THUMB_HEIGHT = 70 * mm, 45 * mm


def render_batch(report: BatchReport, *, font: LabelFont | None = None) -> bytes:
    """The report of the batch as A4 PDF bytes (refused, with no bytes, when its figures disagree)."""
    check_totals(report)
    face = document_font(font)
    _check_text(face, report)
    setup = PageSetup(top=22 * mm, bottom=24 * mm)
    styles = _Styles(face)
    listed = Layout(
        face,
        LIST_SIZE,
        _list_widths(setup),
        LIST_HEADER,
        [_list_row(n, i) for n, i in enumerate(report.items, start=1)],
    )
    passes = iter((False, True))  # render_numbered lays the story out twice: counting, then drawing

    def decorate(canvas: Any, page: int, total: int) -> None:
        continued_header(canvas, face, setup, page, f"{TITLE}（续）", f"销毁批次 Batch no. {report.batch_id}")
        top = footer_rule(canvas, setup)
        canvas.setFont(face.name, 7)
        canvas.drawString(setup.left, top - 3.6 * mm, f"销毁批次 {report.batch_id}  账本位置 ledger point")
        canvas.setFont(MONOSPACE, 6)
        canvas.drawRightString(PAGE_WIDTH - setup.right, top - 3.6 * mm, report.point.text)
        page_number(canvas, face, page, total)

    return render_numbered(
        lambda: _story(report, styles, setup, listed, next(passes, True)),
        decorate,
        setup=setup,
        font=face,
        title=f"{TITLE} {report.batch_id}",
    )


def batch_csv(report: BatchReport) -> bytes:
    """The tally's rows and its totals row as CSV (UTF-8 with a BOM), each with the batch and the ledger
    point; refused like the PDF when the figures disagree."""
    check_totals(report)
    head: list[object] = [
        "batch_id",
        "ledger_seq",
        "ledger_hash",
        "unit_code",
        "unit_name",
        "kind",
        "firearm_type",
    ]
    head += ["calibre", *_TALLY_FIELDS]
    lead = [report.batch_id, report.point.seq, report.point.hash]
    rows: list[list[object]] = [head]
    for row in report.rows:
        rows.append(
            [
                *lead,
                row.unit_code,
                row.unit_name,
                row.kind.value,
                row.firearm_type,
                row.calibre,
                *list(_figures(row.tally)),
            ]
        )
    rows.append([*lead, "total", "", "", "", "", *_figures(report.totals)])
    return csv_bytes(rows)


_TALLY_FIELDS = (
    "batched",
    "approved",
    "destroyed",
    "withdrawn",
    "pending",
    "rounds_approved",
    "rounds_destroyed",
    "rounds_withdrawn",
    "rounds_pending",
)


def _figures(tally: Tally) -> tuple[int, ...]:
    return (
        tally.batched,
        tally.approved,
        tally.destroyed,
        tally.withdrawn,
        tally.pending,
        tally.rounds_approved,
        tally.rounds_destroyed,
        tally.rounds_withdrawn,
        tally.rounds_pending,
    )


# ------------------------------------------------------------------------------------------ the flow


class _Styles:
    def __init__(self, font: LabelFont) -> None:
        def style(name: str, size: float, **extra: Any) -> ParagraphStyle:
            return ParagraphStyle(
                name, fontName=font.name, fontSize=size, leading=size * 1.3, wordWrap="CJK", **extra
            )

        self.font = font
        self.title = style("title", 18, alignment=TA_CENTER, spaceAfter=2)
        self.subtitle = style("subtitle", 10, alignment=TA_CENTER, spaceAfter=5 * mm)
        self.section = style("section", 12, spaceBefore=5 * mm, spaceAfter=2 * mm)
        self.label = style("label", 8.5, textColor=colors.HexColor("#333333"))
        self.value = style("value", 9.5)
        self.cell = style("cell", 7.5)
        self.caption = style("caption", 7, alignment=TA_CENTER)
        self.mono = ParagraphStyle("mono", fontName=MONOSPACE, fontSize=8, leading=10)
        self.sha = ParagraphStyle("sha", fontName=MONOSPACE, fontSize=6, leading=8, alignment=TA_CENTER)


def _story(report: BatchReport, s: _Styles, setup: PageSetup, listed: Layout, draw: bool) -> list[Any]:
    return [
        paragraph(TITLE, s.title),
        paragraph(TITLE_EN, s.subtitle),
        _particulars(report, s, setup),
        paragraph("一、统计 Tally", s.section),
        _tally_table(report, s, setup),
        paragraph("二、物品清单 Items", s.section),
        RowList(listed, draw=draw),
        paragraph("三、撤回物品 Withdrawn", s.section),
        _withdrawn(report, s, setup),
        paragraph("四、现场发现 Findings at the site", s.section),
        _findings(report, s, setup),
        paragraph("五、见证人 Witnesses", s.section),
        _witnesses(report, s, setup),
        paragraph("六、照片 Photos", s.section),
        *_photos(report, s, setup, draw),
        paragraph("七、账本 Ledger", s.section),
        _ledger(report, s, setup),
        KeepTogether([paragraph("八、签名 Signatures", s.section), _signatures(report, s, setup)]),
    ]


def _grid(rows: list[list[Any]], widths: list[float], font: LabelFont, size: float) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1, splitByRow=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), font.name, size, size * 1.3),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6e6e6")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def _labelled(rows: list[tuple[str, Any]], s: _Styles, setup: PageSetup, label: float = 42 * mm) -> Table:
    table = Table(
        [[paragraph(text, s.label), value] for text, value in rows], colWidths=[label, setup.width - label]
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


def _particulars(report: BatchReport, s: _Styles, setup: PageSetup) -> Any:
    def v(text: str) -> Any:
        return paragraph(text, s.value)

    closing = NOTHING if report.closed_seq is None else f"seq {report.closed_seq}  {report.closed_hash}"
    rows: list[tuple[str, Any]] = [
        ("销毁批次 Batch no.", v(str(report.batch_id))),
        ("状态 Status (at the point)", v(f"{STATUS_TEXT.get(report.status, report.status)} {report.status}")),
        ("计划方式 Planned method", v(_method(report.planned_method))),
        ("计划地点 Planned place", v(report.planned_place)),
        ("计划日期 Planned date", v(report.planned_date)),
        ("现场方式 Method at the site", v(_method(report.site_method))),
        ("现场地点 Place at the site", v(report.site_place or NOTHING)),
        ("开始时间 Site opened", v(_cst(report.opened_at))),
        ("结束时间 Site closed", v(_cst(report.closed_at))),
        ("组批人 Built by", v(_named(report.builder))),
        ("销毁人 Destroyed by", v(_named(report.officer))),
        ("审批人 Approved by", v(_named(report.approver))),
        ("结束时账本 Ledger at closing", paragraph(closing, s.mono)),
    ]
    return _labelled(rows, s, setup)


def _tally_table(report: BatchReport, s: _Styles, setup: PageSetup) -> Any:
    rows: list[list[Any]] = [[paragraph(text, s.cell) for text in TALLY_HEADER]]
    for row in report.rows:
        unit = paragraph(f"{row.unit_name}\n{row.unit_code}", s.cell)
        kind = KIND_TEXT.get(row.kind.value, row.kind.value)
        rows.append(
            [
                unit,
                kind,
                paragraph(row.firearm_type or NOTHING, s.cell),
                paragraph(row.calibre or NOTHING, s.cell),
            ]
            + [str(n) for n in _figures(row.tally)]
        )
    rows.append(["合计 Total", "", "", "", *(str(n) for n in _figures(report.totals))])
    fixed = [78.0, 40.0, 50.0, 40.0]
    each = (setup.width - sum(fixed)) / len(_TALLY_FIELDS)
    table = _grid(rows, [*fixed, *[each] * len(_TALLY_FIELDS)], s.font, 7.5)
    table.setStyle(
        TableStyle(
            [
                ("ALIGN", (4, 1), (-1, -1), "RIGHT"),
                ("SPAN", (0, -1), (3, -1)),
                ("LINEABOVE", (0, -1), (-1, -1), 1, colors.black),
            ]
        )
    )
    return table


def _list_widths(setup: PageSetup) -> list[float]:
    return [*LIST_WIDTHS, setup.width - sum(LIST_WIDTHS)]


def _list_row(number: int, item: ReportItem) -> list[str]:
    state = NOTHING if item.state is None else STATE_TEXT.get(item.state, item.state.value)
    if item.outcome == "withdrawn":
        state += "(撤回)"
    rounds = "" if item.kind is not ItemKind.AMMUNITION or item.rounds is None else str(item.rounds)
    return [
        str(number),
        item.evidence_no,
        item.unit_code,
        KIND_TEXT.get(item.kind.value, item.kind.value),
        item.firearm_type or "",
        item.calibre or "",
        item.serial_number or "",
        rounds,
        state,
        " ".join(item.samples),
    ]


def _withdrawn(report: BatchReport, s: _Styles, setup: PageSetup) -> Any:
    rows: list[list[Any]] = [[paragraph(t, s.cell) for t in ("物证编号 Evidence no.", "原因 Reason")]]
    for item in report.items:
        if item.outcome == "withdrawn":
            rows.append([item.evidence_no, paragraph(item.reason or NOTHING, s.cell)])
    if len(rows) == 1:
        rows.append([NOTHING, paragraph("无 none", s.cell)])
    return _grid(rows, [42 * mm, setup.width - 42 * mm], s.font, 7.5)


def _findings(report: BatchReport, s: _Styles, setup: PageSetup) -> Any:
    header = (
        "类型 Finding",
        "读取编码 Code read",
        "物证编号 Item",
        "清点/记录 Counted/recorded",
        "说明 Detail",
    )
    rows: list[list[Any]] = [[paragraph(t, s.cell) for t in header]]
    for found in report.findings:
        counts = NOTHING if found.counted is None else f"{found.counted} / {found.recorded}"
        rows.append(
            [
                paragraph(f"{FINDING_TEXT.get(found.status, found.status)}\n{found.status}", s.cell),
                paragraph(shown_code(s.font, found.code), s.cell),
                found.evidence_no or NOTHING,
                counts,
                paragraph(shown_code(s.font, found.detail) or NOTHING, s.cell),
            ]
        )
    if not report.findings:
        rows.append([paragraph("无 none", s.cell), "", "", "", ""])
    fixed = [24 * mm, 34 * mm, 32 * mm, 22 * mm]
    return _grid(rows, [*fixed, setup.width - sum(fixed)], s.font, 7.5)


def _witnesses(report: BatchReport, s: _Styles, setup: PageSetup) -> Any:
    header = ("姓名 Name", "用户名 Username", "单位 Unit", "确认时间 Confirmed at")
    rows: list[list[Any]] = [[paragraph(t, s.cell) for t in header]]
    for w in report.witnesses:
        unit = paragraph(f"{w.unit_name} ({w.unit_code})", s.cell)
        rows.append([paragraph(w.name, s.cell), w.username, unit, _cst(w.confirmed_at)])
    if not report.witnesses:
        rows.append([paragraph("无 none", s.cell), "", "", ""])
    fixed = [32 * mm, 34 * mm, 60 * mm]
    return _grid(rows, [*fixed, setup.width - sum(fixed)], s.font, 7.5)


class _Thumb(Flowable):  # type: ignore[misc]
    """A photo scaled into a fixed box (drawn only on the drawing pass); one its bytes do not show (not
    an image the reader decodes) is a framed box saying so: its SHA-256 is printed all the same."""

    def __init__(self, content: bytes, font: LabelFont, draw: bool) -> None:
        super().__init__()
        self.content, self.font, self.drawing = content, font, draw
        self.width, self.height = THUMB_WIDTH, THUMB_HEIGHT

    def wrap(self, _w: float, _h: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        if not self.drawing:
            return
        try:
            image = ImageReader(io.BytesIO(self.content))
            w, h = image.getSize()
            scale = min(self.width / w, self.height / h)
            dw, dh = w * scale, h * scale
            self.canv.drawImage(image, (self.width - dw) / 2, (self.height - dh) / 2, dw, dh)
        except (OSError, ValueError, SyntaxError, ZeroDivisionError):
            self.canv.rect(0, 0, self.width, self.height)
            self.canv.setFont(self.font.name, 8)
            self.canv.drawCentredString(self.width / 2, self.height / 2, "无法显示 cannot be shown")


def _photos(report: BatchReport, s: _Styles, setup: PageSetup, draw: bool) -> Iterator[Any]:
    if not report.photos:
        yield paragraph("无照片 no photos", s.value)
        return
    cells = [
        [
            _Thumb(p.content, s.font, draw),
            paragraph(f"{p.evidence_no}  {STAGE_TEXT.get(p.stage, p.stage)} {p.stage}", s.caption),
            paragraph(f"{p.media_type}  {p.size} bytes  seq {p.seq}", s.caption),
            paragraph(p.sha256, s.sha),
        ]
        for p in report.photos
    ]
    half = setup.width / 2
    for start in range(0, len(cells), 2):
        pair = cells[start : start + 2]
        table = Table([[c for c in pair] + [""] * (2 - len(pair))], colWidths=[half, half])
        table.setStyle(
            TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (0, 0), (-1, -1), "CENTER")])
        )
        yield table


def _ledger(report: BatchReport, s: _Styles, setup: PageSetup) -> Any:
    return _labelled(
        [(label, paragraph(value, s.mono)) for label, value in ledger_point_lines(report.point)], s, setup
    )


def _signatures(report: BatchReport, s: _Styles, setup: PageSetup) -> Any:
    people = [("销毁人 Destroyed by", report.officer.name if report.officer else "")]
    people += [("见证人 Witness", w.name) for w in report.witnesses] or [("见证人 Witness", "")]
    people.append(("审批人 Approved by", report.approver.name if report.approver else ""))
    rows = [
        [
            paragraph(role, s.label),
            paragraph(name, s.value),
            paragraph("签名 Signature", s.label),
            "",
            paragraph("日期 Date", s.label),
            "",
        ]
        for role, name in people
    ]
    widths = [30 * mm, 34 * mm, 26 * mm, 42 * mm, 18 * mm]
    table = Table(rows, colWidths=[*widths, setup.width - sum(widths)], rowHeights=[12 * mm] * len(rows))
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LINEBELOW", (3, 0), (3, -1), 0.6, colors.black),
                ("LINEBELOW", (5, 0), (5, -1), 0.6, colors.black),
            ]
        )
    )
    return table


# ---------------------------------------------------------------------------------------- values


def _method(method: str | None) -> str:
    return NOTHING if method is None else f"{METHOD_TEXT.get(method, method)} {method}"


def _named(person: Any) -> str:
    return NOTHING if person is None else f"{person.name} ({person.username})"


def _cst(iso: str | None) -> str:
    if iso is None:
        return NOTHING
    return datetime.fromisoformat(iso).astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S") + " 北京时间"


def _check_text(face: LabelFont, report: BatchReport) -> None:
    """Every value printed in the document font has its glyphs (checked over the distinct values)."""
    texts: dict[str, str] = {
        report.planned_place: "planned place",
        report.site_place or "": "place at the site",
        report.builder.name: "builder's name",
    }
    for person, what in ((report.officer, "officer's name"), (report.approver, "approver's name")):
        if person is not None:
            texts.setdefault(person.name, what)
    for row in report.rows:
        for text in (row.unit_name, row.firearm_type or "", row.calibre or ""):
            texts.setdefault(text, f"tally row {row.unit_code}")
    for w in report.witnesses:
        texts.setdefault(w.name, "witness's name")
        texts.setdefault(w.unit_name, "witness's unit")
    for item in report.items:
        for value in (item.firearm_type, item.calibre, item.serial_number, item.reason):
            if value and value not in texts:
                texts[value] = f"item {item.evidence_no}"
    try:
        face.check("".join(texts), what="the report's text")
    except MissingGlyph:  # one value at a time, to name the one refused
        for text, what in texts.items():
            printable(face, text, what)
        raise UnprintableText("the report holds a character the document font cannot draw") from None


__all__ = ["batch_csv", "check_totals", "render_batch", "tally_key"]
