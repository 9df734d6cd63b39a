"""Labels as PDF: vector bars and embedded TrueType text, drawn with reportlab.

Every label is arranged before the first page is drawn, so a label that cannot be printed refuses
the whole job and nothing half-made is returned. The font subset is embedded once per document.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from labels.content import Label
from labels.errors import LabelError
from labels.fonts import LabelFont, default_font
from labels.layout import Layout, Placement, arrange


def _draw(
    canvas: Canvas, placement: Placement, origin: tuple[float, float], page_height: float, font: LabelFont
) -> None:
    left, top = origin
    bars = placement.bars
    path = canvas.beginPath()
    x0 = (left + bars.x) * mm
    y0 = (page_height - top - bars.top - bars.height) * mm
    module, height = bars.module * mm, bars.height * mm
    for first, width in bars.symbol.bars():
        path.rect(x0 + first * module, y0, width * module, height)
    canvas.drawPath(path, stroke=0, fill=1)
    for run in placement.texts:
        canvas.setFont(font.name, run.size * mm)
        baseline = page_height - top - run.top - font.ascent * run.size
        canvas.drawString((left + run.x) * mm, baseline * mm, run.text)


def render_pdf(
    labels: Iterable[Label],
    layout: Layout,
    *,
    start: int = 1,
    font: LabelFont | None = None,
    title: str = "物证标签",
) -> bytes:
    """Render ``labels`` as one PDF on ``layout``, beginning at position ``start`` (1-based, row by row).

    On a sheet, ``start`` skips the positions already used on a half-used first sheet; later sheets
    start at position 1. A thermal roll has one position per page.
    """
    font = font or default_font()
    placements = [arrange(label.face(), layout, font) for label in labels]
    if not placements:
        raise LabelError("no labels to print")
    if not 1 <= start <= layout.per_page:
        raise LabelError(f"start position {start} is outside 1 … {layout.per_page} of layout {layout.name}")
    buffer = io.BytesIO()
    canvas = Canvas(
        buffer,
        pagesize=(layout.page_width * mm, layout.page_height * mm),
        pageCompression=1,
        invariant=1,
        initialFontName=font.name,
    )
    canvas.setTitle(title)
    canvas.setCreator("custody-tracker labels")
    slot = start - 1
    for placement in placements:
        if slot == layout.per_page:
            canvas.showPage()
            slot = 0
        _draw(canvas, placement, layout.origin(slot), layout.page_height, font)
        slot += 1
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
