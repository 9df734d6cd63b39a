"""A4 documents of numbered pages ("第 n 页 / 共 m 页"), laid out by reportlab's platypus.

A page can only say how many pages follow once the whole document is laid out, so a document is laid
out twice: once to count its pages, once to draw them with the count. Headers and footers are drawn in
the margins, outside the frame that holds the flow, so the count never changes the layout and both
passes break pages at the same places. The story is built afresh for each pass (platypus splits and
consumes its flowables).

Text is drawn in the labels' embedded font (WenQuanYi Zen Hei, registered by :mod:`labels.fonts`), and
checked against its character map first: a character without a glyph refuses the document rather than
printing an empty box.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate

from custody.report_point import ReportPoint, SignedCheckpoint
from labels.errors import LabelError, MissingGlyph
from labels.fonts import LabelFont, default_font
from reports.errors import ReportError, UnprintableText

#: Courier is one of the PDF standard fonts: monospaced, needs no embedding, and covers ASCII.
MONOSPACE = "Courier"
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 15 * mm

#: Draws a page's header and footer: (canvas, page number from 1, page count; 0 while counting).
Decorate = Callable[[Any, int, int], None]


def document_font(font: LabelFont | None = None) -> LabelFont:
    """The given font, or the labels' default one (loaded and registered once per process)."""
    if font is not None:
        return font
    try:
        return default_font()
    except LabelError as error:
        raise ReportError(f"document font unavailable: {error}") from error


def printable(font: LabelFont, text: str, what: str) -> str:
    """``text`` if the font has a glyph for every character; otherwise refuse the document."""
    try:
        return font.check(text, what=what)
    except MissingGlyph as error:
        raise UnprintableText(str(error)) from error


def monospaced(text: str, what: str) -> str:
    """``text`` if the monospaced standard font can draw it (printable ASCII)."""
    if not (text.isascii() and text.isprintable()):
        raise UnprintableText(f"{what} {text!r} holds characters other than printable ASCII")
    return text


def paragraph(text: str, style: Any) -> Any:
    """A paragraph of plain text: markup characters are escaped, line breaks kept."""
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


@dataclass(frozen=True, slots=True)
class PageSetup:
    """The page's margins (points); the bottom one holds the footer."""

    top: float = MARGIN
    bottom: float = MARGIN
    left: float = MARGIN
    right: float = MARGIN

    @property
    def width(self) -> float:
        """Width of the frame that holds the flow."""
        return float(PAGE_WIDTH - self.left - self.right)


def continued_header(
    canvas: Any, font: LabelFont, setup: PageSetup, page: int, left: str, right: str
) -> None:
    """The header of every page but the first (whose title stands in the flow): what the document is,
    continued, on the left; what it is about on the right; a rule below."""
    if page == 1:
        return
    baseline = PAGE_HEIGHT - setup.top + 6 * mm
    canvas.setFont(font.name, 8)
    canvas.drawString(setup.left, baseline, left)
    canvas.drawRightString(PAGE_WIDTH - setup.right, baseline, right)
    canvas.setLineWidth(0.4)
    canvas.line(setup.left, baseline - 2 * mm, PAGE_WIDTH - setup.right, baseline - 2 * mm)


def footer_rule(canvas: Any, setup: PageSetup) -> float:
    """The rule above the footer; the height it is drawn at."""
    top = float(setup.bottom - 4 * mm)
    canvas.setLineWidth(0.4)
    canvas.line(setup.left, top, PAGE_WIDTH - setup.right, top)
    return top


def page_number(canvas: Any, font: LabelFont, page: int, total: int) -> None:
    """第 N 页 / 共 M 页 at the foot of the page (nothing on the counting pass, ``total`` 0)."""
    if total:
        canvas.setFont(font.name, 8)
        canvas.drawCentredString(PAGE_WIDTH / 2, 7 * mm, f"第 {page} 页 / 共 {total} 页")


def render_numbered(
    story: Callable[[], Sequence[Any]],
    decorate: Decorate,
    *,
    setup: PageSetup,
    font: LabelFont,
    title: str,
) -> bytes:
    """Lay out ``story()`` on A4 pages and return the PDF, each page decorated with its number and the
    page count. The same story gives the same bytes (no creation time or random id is written)."""
    counted = _build(story(), decorate, setup=setup, font=font, title=title, total=0)
    buffer = io.BytesIO()
    drawn = _build(story(), decorate, setup=setup, font=font, title=title, total=counted, out=buffer)
    if drawn != counted:  # the count is drawn in the margin, so this never happens
        raise ReportError(f"the layout changed between passes: {counted} then {drawn} pages")
    return buffer.getvalue()


def _build(
    flowables: Sequence[Any],
    decorate: Decorate,
    *,
    setup: PageSetup,
    font: LabelFont,
    title: str,
    total: int,
    out: io.BytesIO | None = None,
) -> int:
    pages = [0]

    def on_page(canvas: Any, _document: Any) -> None:
        pages[0] += 1
        canvas.saveState()
        decorate(canvas, pages[0], total)
        canvas.restoreState()

    document = SimpleDocTemplate(
        out if out is not None else io.BytesIO(),
        pagesize=A4,
        topMargin=setup.top,
        bottomMargin=setup.bottom,
        leftMargin=setup.left,
        rightMargin=setup.right,
        title=title,
        creator="custody-tracker reports",
        invariant=1,
        pageCompression=1,
        initialFontName=font.name,
    )
    document.build(list(flowables), onFirstPage=on_page, onLaterPages=on_page)
    return pages[0]


def ledger_point_lines(point: ReportPoint) -> list[tuple[str, str]]:
    """What a report says of the ledger it was computed from: the point (``seq`` and hash), and the
    latest checkpoint the province signed (or that none is signed yet), as (label, value) rows."""
    lines = [("账本位置 (ledger point)", f"seq {point.seq}  {point.hash}")]
    if point.head_seq != point.seq:
        lines.append(("账本当前 (ledger head)", f"seq {point.head_seq} (computed as of seq {point.seq})"))
    if point.replica_behind:
        lines.append(
            (
                "只读副本 (read replica)",
                f"{point.replica_behind} events behind the primary (its head: seq {point.primary_head_seq})",
            )
        )
    signed = point.checkpoint
    if signed is None:
        lines.append(("签名检查点 (checkpoint)", "none signed yet"))
    else:
        lines.append(("签名检查点 (checkpoint)", f"tree size {signed.tree_size}  root {signed.root_hash}"))
        lines.append(("签名密钥 (key)", signed.key_name))
    return lines


def checkpoint_text(signed: SignedCheckpoint | None) -> str:
    """One line naming the latest checkpoint the province signed, or that none is signed yet."""
    if signed is None:
        return "签名检查点 Checkpoint: none signed yet"
    tree = f"tree size {signed.tree_size}  root {signed.root_hash}"
    return f"签名检查点 Checkpoint: {tree}  ({signed.key_name})"


def csv_bytes(rows: Iterable[Sequence[object]]) -> bytes:
    """Rows as CSV, UTF-8 with a byte-order mark (so that a spreadsheet opens the Chinese text), CRLF
    line ends; ``None`` is written as an empty field."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return out.getvalue().encode("utf-8-sig")
