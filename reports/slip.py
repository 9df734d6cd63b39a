"""The handover slip (移交清单): one A4 PDF per handover, signed on paper by both persons.

What the slip guarantees:

* every item of the handover is listed once, in the order given, with its evidence number in full; the
  table continues over as many pages as it needs, its header repeated on each;
* every page names the handover and the case, carries the ledger events of the handover (event, time,
  ``seq`` and ``hash`` in full, monospaced) so a loose page can be matched to the ledger, and says
  "第 n 页 / 共 m 页";
* times are printed in China Standard Time (北京时间, UTC+8);
* a slip without items, or with a character the font cannot draw, is refused with a
  :class:`~reports.errors.ReportError` and no bytes are returned;
* the same slip gives the same bytes.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Spacer, Table, TableStyle

from custody.clock import CHINA, from_us
from custody.handover_slip import HandoverSlip, LedgerPoint, SlipItem, SlipPerson
from custody.numbers import ItemKind
from labels.evidence import KIND_TEXT
from labels.fonts import LabelFont
from reports.document import (
    MONOSPACE,
    PAGE_WIDTH,
    PageSetup,
    checkpoint_text,
    continued_header,
    csv_bytes,
    document_font,
    footer_rule,
    monospaced,
    page_number,
    paragraph,
    printable,
    render_numbered,
)
from reports.errors import EmptySlip

TITLE = "移交清单"
TITLE_EN = "Handover slip"
NOTHING = "—"
_STATUS = {"offered": "待接收 offered", "accepted": "已接收 accepted", "refused": "已拒收 refused"}
_CUSTODIAN = {"accepted": "接收人 Accepted by", "refused": "接收人 Refused by"}
_DECIDED = {"accepted": "接收时间 Accepted at", "refused": "拒收时间 Refused at"}
_HEADER = (
    "序号\nNo.",
    "物证编号\nEvidence no.",
    "类别\nKind",
    "枪种 / 口径\nType / calibre",
    "厂牌型号\nMake / model",
    "枪号 / 数量\nSerial no. / rounds",
)
_COLUMNS = (28, 112, 46, 112, 124)  # points; the last column takes the rest
_CELL_PADDING = 4  # points, left and right
_FOOT_TEXT = 7.0  # points
_FOOT_LINE = 3.6 * mm


def render_slip(slip: HandoverSlip, *, font: LabelFont | None = None) -> bytes:
    """The handover slip of ``slip`` as A4 PDF bytes."""
    if not slip.items:
        raise EmptySlip(f"handover {slip.handover_id} of case {slip.case_no} has no items: no slip to sign")
    face = document_font(font)
    for text, what in _texts(slip):
        printable(face, text, what)
    for point in slip.ledger:
        monospaced(point.hash, f"hash of ledger event {point.seq}")
    footer_lines = 1 + max(len(slip.ledger), 1)  # the heading, then one line an event (or a dash)
    setup = PageSetup(top=22 * mm, bottom=16 * mm + footer_lines * _FOOT_LINE)
    styles = _Styles(face)

    def decorate(canvas: Any, page: int, total: int) -> None:
        _header(canvas, slip, face, setup, page)
        _footer(canvas, slip.ledger, face, setup, page, total)

    return render_numbered(
        lambda: _story(slip, styles, setup),
        decorate,
        setup=setup,
        font=face,
        title=f"{TITLE} {slip.handover_id} {slip.case_no}",
    )


# ------------------------------------------------------------------------------------------ the flow


class _Styles:
    def __init__(self, font: LabelFont) -> None:
        def style(name: str, size: float, **extra: Any) -> ParagraphStyle:
            return ParagraphStyle(
                name, fontName=font.name, fontSize=size, leading=size * 1.3, wordWrap="CJK", **extra
            )

        self.font = font
        self.title = style("title", 20, alignment=TA_CENTER, spaceAfter=2)
        self.subtitle = style("subtitle", 11, alignment=TA_CENTER, spaceAfter=6 * mm)
        self.label = style("label", 8.5, textColor=colors.HexColor("#333333"))
        self.value = style("value", 10)
        self.head = style("head", 8)
        self.cell = style("cell", 9)


def _story(slip: HandoverSlip, styles: _Styles, setup: PageSetup) -> list[Any]:
    return [
        paragraph(TITLE, styles.title),
        paragraph(TITLE_EN, styles.subtitle),
        _particulars(slip, styles, setup),
        Spacer(1, 6 * mm),
        _item_table(slip.items, styles, setup),
        KeepTogether([Spacer(1, 10 * mm), _signatures(slip, styles, setup)]),
        Spacer(1, 6 * mm),
        paragraph(checkpoint_text(slip.checkpoint), styles.label),
    ]


_CSV_HEADER = (
    *("handover_id", "case_no", "row", "evidence_no", "kind", "firearm_type", "calibre", "make_model"),
    *("serial_number", "quantity_rounds", "event", "seq", "hash"),
)


def slip_csv(slip: HandoverSlip) -> bytes:
    """The slip's items, then its ledger events, as CSV (UTF-8 with a BOM): every row starts with the
    handover's number and case; an item row gives its fields, an event row its seq and hash."""
    head = (slip.handover_id, slip.case_no)
    rows: list[tuple[object, ...]] = [_CSV_HEADER]
    for item in slip.items:
        described = (
            item.firearm_type,
            item.calibre,
            item.make_model,
            item.serial_number,
            item.quantity_rounds,
        )
        rows.append((*head, "item", item.evidence_no, item.kind.value, *described, None, None, None))
    for point in slip.ledger:
        rows.append((*head, "event", *([None] * 7), point.event, point.seq, point.hash))
    return csv_bytes(rows)


def _particulars(slip: HandoverSlip, styles: _Styles, setup: PageSetup) -> Any:
    rows = [
        ("移交编号 Handover no.", str(slip.handover_id)),
        ("案件编号 Case no.", slip.case_no),
        ("主办单位 Owning unit", _unit(slip.unit_name, slip.unit_code)),
        ("状态 Status", _STATUS.get(slip.status, slip.status)),
        ("交接人 Offered by", _person(slip.offered_by)),
        (_CUSTODIAN.get(slip.status, "接收人 To"), _person(slip.custodian)),
        ("移交时间 Offered at", _cst(slip.offered_at_us)),
        (
            _DECIDED.get(slip.status, "接收时间 Accepted at"),
            f"{NOTHING} 待接收 not yet decided" if slip.decided_at_us is None else _cst(slip.decided_at_us),
        ),
    ]
    if slip.refusal_reason:
        rows.append(("拒收原因 Refusal reason", slip.refusal_reason))
    rows.append(("物品 Items", _tally(slip.items)))
    table = Table(
        [[paragraph(label, styles.label), paragraph(value, styles.value)] for label, value in rows],
        colWidths=[45 * mm, setup.width - 45 * mm],
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


def _item_table(items: tuple[SlipItem, ...], styles: _Styles, setup: PageSetup) -> Any:
    """The items, one row each. A value that fits its column on one line is a plain string (drawn
    without a paragraph's line breaking, several times faster on long slips); a longer one wraps. The
    evidence number is always one line: its column is wide enough for the 19 characters."""
    widths = [*_COLUMNS, setup.width - sum(_COLUMNS)]
    room = [width - 2 * _CELL_PADDING for width in widths]
    cell, font = styles.cell, styles.font

    def fitted(text: str, column: int) -> Any:
        return text if font.width(text, cell.fontSize) <= room[column] else paragraph(text, cell)

    rows: list[list[Any]] = [[paragraph(text, styles.head) for text in _HEADER]]
    for number, item in enumerate(items, start=1):
        evidence_no, *described = _columns(item)
        rows.append([str(number), evidence_no, *(fitted(text, at) for at, text in enumerate(described, 2))])
    table = Table(rows, colWidths=widths, repeatRows=1, splitByRow=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 1), (-1, -1), font.name, cell.fontSize, cell.leading),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6e6e6")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f6f6f6")]),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("LEFTPADDING", (0, 0), (-1, -1), _CELL_PADDING),
                ("RIGHTPADDING", (0, 0), (-1, -1), _CELL_PADDING),
            ]
        )
    )
    return table


def _columns(item: SlipItem) -> tuple[str, str, str, str, str]:
    """Evidence number, kind, type or calibre, make and model, serial number or rounds."""
    kind = KIND_TEXT[item.kind.value]
    if item.kind is ItemKind.FIREARM:
        described = " ".join(text for text in (item.firearm_type, item.calibre) if text)
        made = item.make_model
        counted = item.serial_number
    else:
        described = item.calibre or ""
        made = None
        counted = None if item.quantity_rounds is None else f"{item.quantity_rounds} 发 rounds"
    return item.evidence_no, kind, described or NOTHING, made or NOTHING, counted or NOTHING


def _signatures(slip: HandoverSlip, styles: _Styles, setup: PageSetup) -> Any:
    side = (setup.width - 10 * mm) / 2
    label = 28 * mm
    rows = [
        [
            paragraph("交接人\nOffered by", styles.label),
            paragraph(_person(slip.offered_by), styles.value),
            "",
            paragraph("接收人\nReceived by", styles.label),
            paragraph(_person(slip.custodian), styles.value),
        ],
        [paragraph("签名 Signature", styles.label), "", "", paragraph("签名 Signature", styles.label), ""],
        [paragraph("日期 Date", styles.label), "", "", paragraph("日期 Date", styles.label), ""],
    ]
    table = Table(
        rows,
        colWidths=[label, side - label, 10 * mm, label, side - label],
        rowHeights=[None, 14 * mm, 10 * mm],
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, 0), "TOP"),
                ("VALIGN", (0, 1), (-1, -1), "BOTTOM"),
                ("LINEBELOW", (1, 1), (1, 2), 0.6, colors.black),
                ("LINEBELOW", (4, 1), (4, 2), 0.6, colors.black),
            ]
        )
    )
    return table


# ------------------------------------------------------------------------------ header and footer


def _header(canvas: Any, slip: HandoverSlip, font: LabelFont, setup: PageSetup, page: int) -> None:
    continued_header(
        canvas,
        font,
        setup,
        page,
        f"{TITLE} {TITLE_EN}（续 continued）",
        f"移交编号 {slip.handover_id}   案件编号 {slip.case_no}",
    )


def _footer(
    canvas: Any, ledger: tuple[LedgerPoint, ...], font: LabelFont, setup: PageSetup, page: int, total: int
) -> None:
    left, right = setup.left, PAGE_WIDTH - setup.right
    top = footer_rule(canvas, setup)
    baseline = top - _FOOT_LINE
    canvas.setFont(font.name, _FOOT_TEXT)
    canvas.drawString(
        left, baseline, "账本 Ledger: 本次移交的事件 events of this handover (seq, SHA-256 hash)"
    )
    if not ledger:
        canvas.drawString(left + 4 * mm, baseline - _FOOT_LINE, NOTHING)
    for point in ledger:
        baseline -= _FOOT_LINE
        described, chained = f"{point.event}  {_cst(point.at_us)}", f"seq {point.seq}  {point.hash}"
        # Courier advances 0.6 em a character; a line too long for the page is drawn smaller, never cut.
        size = min(_FOOT_TEXT, (right - left - 4 * mm) / (font.width(described, 1) + 0.6 * len(chained)))
        canvas.setFont(font.name, size)
        canvas.drawString(left, baseline, described)
        canvas.setFont(MONOSPACE, size)
        canvas.drawRightString(right, baseline, chained)
    page_number(canvas, font, page, total)


# ---------------------------------------------------------------------------------------- values


def _cst(us: int) -> str:
    return from_us(us).astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S") + " 北京时间 (UTC+8)"


def _unit(name: str, code: str) -> str:
    return f"{name} ({code})"


def _person(person: SlipPerson) -> str:
    return f"{person.name} ({person.username}) · {_unit(person.unit_name, person.unit_code)}"


def _tally(items: tuple[SlipItem, ...]) -> str:
    kinds = Counter(item.kind for item in items)
    each = "，".join(f"{KIND_TEXT[kind.value]} {kinds[kind]}" for kind in ItemKind if kinds[kind])
    return f"{len(items)} 件 items：{each}"


def _texts(slip: HandoverSlip) -> list[tuple[str, str]]:
    """Every value the slip prints in the document font, with what it is (for a refusal)."""
    texts = [(slip.case_no, "case number"), (slip.unit_name, "unit name"), (slip.status, "status")]
    for person, role in ((slip.offered_by, "offered by"), (slip.custodian, "custodian")):
        texts += [
            (person.name, f"{role}: name"),
            (person.username, f"{role}: username"),
            (person.unit_name, f"{role}: unit name"),
        ]
    if slip.refusal_reason:
        texts.append((slip.refusal_reason, "refusal reason"))
    texts += [(point.event, f"ledger event {point.seq}") for point in slip.ledger]
    for item in slip.items:
        values = (item.evidence_no, item.firearm_type, item.make_model, item.serial_number, item.calibre)
        texts += [(value, f"item {item.evidence_no}") for value in values if value]
    return texts
