"""The source-and-flow tracing letter (涉枪案件枪弹来源流向协查函): one A4 letter per issued letter, and its
fields as CSV.

The letter is addressed to the bureau asked, carries its reference number, asks what the request says,
and lists the item's identifying fields and what is known of its source and flow, as they stood when the
letter was issued. It closes with the issuing unit and officer, the date, room for the unit's seal, and
the ledger point of the letter's own event (``seq`` and hash) with the latest signed checkpoint, so the
receiving bureau can ask for the event and check that the letter is the one recorded.
"""

from __future__ import annotations

from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Spacer, Table, TableStyle

from custody.clock import CHINA, from_us
from custody.tracing import TracingLetter
from labels.evidence import KIND_TEXT
from labels.fonts import LabelFont
from reports.document import (
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

TITLE = "涉枪案件枪弹来源流向协查函"
TITLE_EN = "Request to trace the source and flow of a firearm or ammunition"
NOTHING = "—"
FIELD_TEXT = {
    "evidence_no": "物证编号 Evidence no.",
    "kind": "类别 Kind",
    "description": "描述 Description",
    "firearm_type": "枪种 Firearm type",
    "make_model": "厂牌型号 Make / model",
    "serial_number": "枪号 Serial no.",
    "calibre": "口径 Calibre",
    "quantity_rounds": "数量（发） Rounds",
    "headstamp_lot": "弹底标记 / 批号 Headstamp / lot",
    "source_maker": "制造者 Maker",
    "source_workshop": "制造地点 Workshop",
    "source_route": "来源途径 Route",
    "source_seller": "出售者 Seller",
    "source_notes": "来源流向情况 Source and flow notes",
}
_IDENTIFYING = 9  # the first fields identify the item; the rest say where it came from and went


def render_tracing(letter: TracingLetter, *, font: LabelFont | None = None) -> bytes:
    """The letter as A4 PDF bytes."""
    face = document_font(font)
    for text, what in _texts(letter):
        printable(face, text, what)
    setup = PageSetup(top=22 * mm, bottom=18 * mm)
    styles = _Styles(face)

    def decorate(canvas: Any, page: int, total: int) -> None:
        continued_header(
            canvas, face, setup, page, f"{TITLE}（续 continued）", f"{letter.reference}   {letter.case_no}"
        )
        footer_rule(canvas, setup)
        page_number(canvas, face, page, total)

    return render_numbered(
        lambda: _story(letter, styles, setup),
        decorate,
        setup=setup,
        font=face,
        title=f"{TITLE} {letter.reference}",
    )


def tracing_csv(letter: TracingLetter) -> bytes:
    """The letter's fields as CSV rows (field, value), UTF-8 with a BOM."""
    rows: list[tuple[str, object]] = [("field", "value")]
    rows += [
        ("reference", letter.reference),
        ("addressee", letter.addressee),
        ("request", letter.request),
        ("reply_by", letter.reply_by),
        ("case_no", letter.case_no),
        ("unit_code", letter.unit_code),
        ("unit_name", letter.unit_name),
        ("issued_by", letter.issued_by),
        ("issued_at", _cst(letter.issued_at_us)),
    ]
    rows += [(f"item.{name}", value) for name, value in letter.item]
    rows += [("ledger_seq", letter.point.seq), ("ledger_hash", letter.point.hash)]
    if letter.point.checkpoint is not None:
        rows += [
            ("checkpoint_tree_size", letter.point.checkpoint.tree_size),
            ("checkpoint_root", letter.point.checkpoint.root_hash),
        ]
    return csv_bytes(rows)


class _Styles:
    def __init__(self, font: LabelFont) -> None:
        def style(name: str, size: float, **extra: Any) -> ParagraphStyle:
            return ParagraphStyle(
                name, fontName=font.name, fontSize=size, leading=size * 1.45, wordWrap="CJK", **extra
            )

        self.title = style("title", 18, alignment=TA_CENTER, spaceAfter=2)
        self.subtitle = style("subtitle", 9.5, alignment=TA_CENTER, spaceAfter=4 * mm)
        self.reference = style("reference", 10.5, alignment=TA_RIGHT, spaceAfter=5 * mm)
        self.body = style("body", 11, spaceAfter=3 * mm)
        self.label = style("label", 8.5, textColor=colors.HexColor("#333333"))
        self.cell = style("cell", 9.5)
        self.small = style("small", 7.5, textColor=colors.HexColor("#333333"))
        self.signed = style("signed", 11, alignment=TA_RIGHT)


def _story(letter: TracingLetter, styles: _Styles, setup: PageSetup) -> list[Any]:
    issued = from_us(letter.issued_at_us).astimezone(CHINA)
    number = _value(letter, "evidence_no")
    body = (
        f"我单位在办理 {letter.case_no} 案件中，依法扣押下列枪支弹药（物证编号 {number}）。{letter.request}"
    )
    story: list[Any] = [
        paragraph(TITLE, styles.title),
        paragraph(TITLE_EN, styles.subtitle),
        paragraph(letter.reference, styles.reference),
        paragraph(f"{letter.addressee}：", styles.body),
        paragraph(body, styles.body),
        _fields(letter.item[:_IDENTIFYING], "枪支弹药基本情况 The item", styles, setup),
        Spacer(1, 4 * mm),
        _fields(letter.item[_IDENTIFYING:], "已知来源流向 Source and flow known", styles, setup),
        Spacer(1, 4 * mm),
    ]
    if letter.reply_by:
        story.append(
            paragraph(f"请于 {letter.reply_by} 前函复。Please reply by {letter.reply_by}.", styles.body)
        )
    story.append(
        paragraph(f"联系人 Contact: {letter.issued_by_name}（{letter.issued_by}）", styles.body),
    )
    signed = [
        Spacer(1, 8 * mm),
        paragraph(f"{letter.unit_name}（{letter.unit_code}）", styles.signed),
        paragraph("（盖章 seal）", styles.signed),
        paragraph(f"{issued.year} 年 {issued.month} 月 {issued.day} 日", styles.signed),
        Spacer(1, 8 * mm),
        _ledger(letter, styles, setup),
    ]
    story.append(KeepTogether(signed))
    return story


def _fields(
    fields: tuple[tuple[str, str | int | None], ...], heading: str, styles: _Styles, setup: PageSetup
) -> Any:
    rows = [[paragraph(heading, styles.label), ""]]
    for name, value in fields:
        shown = (
            NOTHING
            if value in (None, "")
            else KIND_TEXT.get(str(value), str(value))
            if name == "kind"
            else str(value)
        )
        rows.append([paragraph(FIELD_TEXT[name], styles.label), paragraph(shown, styles.cell)])
    table = Table(rows, colWidths=[52 * mm, setup.width - 52 * mm])
    table.setStyle(
        TableStyle(
            [
                ("SPAN", (0, 0), (-1, 0)),
                ("GRID", (0, 1), (-1, -1), 0.4, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 1), (0, -1), colors.HexColor("#f2f2f2")),
            ]
        )
    )
    return table


def _ledger(letter: TracingLetter, styles: _Styles, setup: PageSetup) -> Any:
    rows = [
        [paragraph(label, styles.small), paragraph(value, styles.small)]
        for label, value in [
            ("本函登记 Recorded as", f"ledger event {letter.point.seq}"),
            *ledger_point_lines(letter.point),
        ]
    ]
    table = Table(rows, colWidths=[40 * mm, setup.width - 40 * mm])
    table.setStyle(
        TableStyle([("LINEABOVE", (0, 0), (-1, 0), 0.4, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    )
    return table


def _value(letter: TracingLetter, name: str) -> str:
    return str(dict(letter.item).get(name) or NOTHING)


def _cst(us: int) -> str:
    return from_us(us).astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")


def _texts(letter: TracingLetter) -> list[tuple[str, str]]:
    texts = [
        (letter.reference, "reference"),
        (letter.addressee, "addressee"),
        (letter.request, "request"),
        (letter.case_no, "case number"),
        (letter.unit_name, "unit name"),
        (letter.issued_by_name, "issuing officer"),
    ]
    texts += [(str(value), f"item field {name}") for name, value in letter.item if value is not None]
    return texts
