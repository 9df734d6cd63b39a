"""The monthly report (涉枪案件及枪支弹药统计月报表) and the quarterly roll-up (季度汇总): one A4 PDF per
period, a table per unit (its own figures plus those of the units below it), and the same rows as CSV.

Before anything is drawn the totals are checked to add up: every unit's total equals its own figures
plus its children's totals (otherwise :class:`UnbalancedStatistics`, and no bytes). The document prints
the ledger point the figures were computed at and the latest signed checkpoint.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Spacer, Table, TableStyle

from custody.model import CaseCategory
from custody.statistics import CASES_FILED, CASES_SOLVED, MonthlyFigures, UnitFigures
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
from reports.errors import UnbalancedStatistics

TITLE_MONTH = "涉枪案件及枪支弹药统计月报表"
TITLE_QUARTER = "涉枪案件及枪支弹药统计季度汇总"
CATEGORY_TEXT = {
    CaseCategory.POSSESSION.value: "非法持有",
    CaseCategory.MANUFACTURE.value: "私制",
    CaseCategory.TRADE.value: "非法买卖运输",
    CaseCategory.SMUGGLING.value: "走私",
    CaseCategory.THEFT.value: "盗抢",
    CaseCategory.GUN_CRIME.value: "持枪犯罪",
    CaseCategory.OTHER.value: "其他",
    "": "未分类",
}
MEASURE_TEXT = {
    CASES_FILED: "立案数",
    CASES_SOLVED: "破案数",
    "firearms_seized_by_type": "收缴枪支（按类型）",
    "firearms_seized_by_calibre": "收缴枪支（按口径）",
    "rounds_seized_by_calibre": "收缴子弹发数（按口径）",
    "firearms_handed_over": "移交枪支",
    "rounds_handed_over": "移交子弹（发）",
    "firearms_sealed": "封存枪支",
    "rounds_sealed": "封存子弹（发）",
    "firearms_sampled": "试射取样枪支",
    "rounds_sampled": "试射用弹（发）",
    "firearms_destroyed": "销毁枪支",
    "rounds_destroyed": "销毁子弹（发）",
    "firearms_in_store": "期末在库枪支",
    "rounds_in_store": "期末在库子弹（发）",
}
MEASURES = tuple(MEASURE_TEXT)
KEYED = frozenset(MEASURES[:5])


def check_totals(data: MonthlyFigures) -> None:
    """Refuse figures whose totals do not add up the unit tree."""
    for unit in data.units:
        expected: Counter[tuple[str, str]] = Counter(unit.own.counts())
        for child in unit.children:
            expected.update(data.of(child).total.counts())
        if +expected != +unit.total.counts():
            raise UnbalancedStatistics(f"unit {unit.unit_code}: its total is not its own plus its children's")


def _title(data: MonthlyFigures) -> str:
    return TITLE_QUARTER if data.period.quarterly else TITLE_MONTH


def rows(data: MonthlyFigures) -> list[list[object]]:
    """The rows of the CSV (and of the PDF's tables): period, unit, measure, key, the unit's own value
    and its total (own plus the units below)."""
    out: list[list[object]] = [["period", "unit_code", "unit_name", "measure", "key", "own", "total"]]
    for unit in data.units:
        out += [[data.period.label, unit.unit_code, unit.name, *line] for line in _lines(unit)]
    return out


def _lines(unit: UnitFigures) -> list[list[object]]:
    lines: list[list[object]] = []
    for measure in MEASURES:
        keys = sorted(set(unit.total.keys(measure)) | set(unit.own.keys(measure)))
        if measure not in KEYED or not keys:
            lines.append([measure, "", unit.own.value(measure), unit.total.value(measure)])
        else:
            lines += [[measure, k, unit.own.value(measure, k), unit.total.value(measure, k)] for k in keys]
    return lines


def statistics_csv(data: MonthlyFigures) -> bytes:
    """The rows of :func:`rows`, each followed by the ledger point (``SEQ:HASH``) they were computed at."""
    check_totals(data)
    header, *lines = rows(data)
    return csv_bytes([[*header, "ledger_point"], *([*line, data.point.text] for line in lines)])


def render_statistics(data: MonthlyFigures, font: LabelFont | None = None) -> bytes:
    """The report as an A4 PDF."""
    check_totals(data)
    face = document_font(font)
    title = _title(data)
    setup = PageSetup(top=22 * mm, bottom=18 * mm)
    body = ParagraphStyle("body", fontName=face.name, fontSize=9, leading=12)
    head = ParagraphStyle("head", fontName=face.name, fontSize=15, leading=20)
    small = ParagraphStyle("small", fontName=face.name, fontSize=7.5, leading=10)

    def story() -> list[Any]:
        flow: list[Any] = [
            paragraph(printable(face, title, "title"), head),
            paragraph(
                f"统计期间 period: {data.period.label}"
                f"（{data.period.start} 至 {data.period.end} 前，北京时间）",
                body,
            ),
        ]
        for label, value in ledger_point_lines(data.point):
            flow.append(paragraph(f"{label}: {value}", small))
        flow.append(Spacer(1, 4 * mm))
        for unit in data.units:
            flow.append(KeepTogether(_unit_table(face, unit, body, setup)))
            flow.append(Spacer(1, 4 * mm))
        return flow

    def decorate(canvas: Any, page: int, total: int) -> None:
        continued_header(canvas, face, setup, page, f"{title}（续）", data.period.label)
        footer_rule(canvas, setup)
        page_number(canvas, face, page, total)

    return render_numbered(story, decorate, setup=setup, font=face, title=title)


def _unit_table(face: LabelFont, unit: UnitFigures, body: ParagraphStyle, setup: PageSetup) -> list[Any]:
    name = printable(face, unit.name, "unit name")
    header = [paragraph(f"{unit.unit_code} {name}（本级及下级合计）", body)]
    cells: list[list[object]] = [["项目", "分类", "本级", "合计"]]
    for measure, key, own, total in _lines(unit):
        label = CATEGORY_TEXT.get(str(key), str(key)) if measure in (CASES_FILED, CASES_SOLVED) else key
        cells.append([MEASURE_TEXT[str(measure)], printable(face, str(label), "key"), str(own), str(total)])
    width = setup.width
    table = Table(cells, colWidths=[width * 0.42, width * 0.28, width * 0.15, width * 0.15], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), face.name),
                ("FONTSIZE", (0, 0), (-1, -1), 8),
                ("GRID", (0, 0), (-1, -1), 0.3, "#888888"),
                ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
                ("BACKGROUND", (0, 0), (-1, 0), "#eeeeee"),
            ]
        )
    )
    return [*header, table]
