"""Label geometry: layouts (thermal rolls and A4 sheets) and the placement of a face on a label.

All lengths are millimetres, measured from the top-left corner (of the page for slots, of the label
for placements). :func:`arrange` is the one place that decides where text and bars go; the PDF and
ZPL renderers only translate its placement into their units, so both print the same label.

The barcode keeps a quiet zone of 10 modules on both sides inside the label (ISO/IEC 15417); a
symbol that would not fit at the layout's module width is refused rather than squeezed.
"""

from __future__ import annotations

from dataclasses import dataclass

from labels.code128 import QUIET_ZONE_MODULES, Symbol, encode
from labels.content import Face
from labels.errors import DoesNotFit, LabelError
from labels.fonts import LabelFont

A4 = (210.0, 297.0)
LEADING = 1.18  # line pitch as a multiple of the em size
MIN_SHRINK = 0.7  # a line too wide may shrink to this fraction of its size, no further


@dataclass(frozen=True, slots=True)
class Style:
    """Sizes of a label's parts, in mm: paddings, em sizes of text, bar height and module width."""

    padding: float
    heading: float
    text: float
    number: float
    bar_height: float
    module: float
    gap: float  # space above and below the bars


@dataclass(frozen=True, slots=True)
class Layout:
    """Where labels sit on a page: one label per page on a thermal roll, a grid on a sheet."""

    name: str
    page_width: float
    page_height: float
    label_width: float
    label_height: float
    style: Style
    columns: int = 1
    rows: int = 1
    margin_left: float = 0.0
    margin_top: float = 0.0
    gap_x: float = 0.0
    gap_y: float = 0.0

    def __post_init__(self) -> None:
        if self.columns < 1 or self.rows < 1 or self.label_width <= 0 or self.label_height <= 0:
            raise LabelError(f"layout {self.name}: needs at least one label of positive size")
        right = self.margin_left + self.columns * self.label_width + (self.columns - 1) * self.gap_x
        bottom = self.margin_top + self.rows * self.label_height + (self.rows - 1) * self.gap_y
        if min(self.margin_left, self.margin_top, self.gap_x, self.gap_y) < 0 or (
            right > self.page_width + 1e-6 or bottom > self.page_height + 1e-6
        ):
            raise LabelError(f"layout {self.name}: the labels do not fit on the page")

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    @property
    def is_roll(self) -> bool:
        """True for a thermal roll: the page is one label."""
        return self.per_page == 1 and (self.page_width, self.page_height) == (
            self.label_width,
            self.label_height,
        )

    def origin(self, slot: int) -> tuple[float, float]:
        """Top-left corner of label position ``slot`` (0-based, row by row) on the page."""
        if not 0 <= slot < self.per_page:
            raise LabelError(f"layout {self.name} has positions 1 … {self.per_page}, not {slot + 1}")
        row, column = divmod(slot, self.columns)
        return (
            self.margin_left + column * (self.label_width + self.gap_x),
            self.margin_top + row * (self.label_height + self.gap_y),
        )


THERMAL_STYLE_60X40 = Style(
    padding=2.0, heading=3.0, text=2.5, number=2.8, bar_height=10.0, module=0.25, gap=0.8
)
THERMAL_STYLE_100X50 = Style(
    padding=3.0, heading=4.0, text=3.0, number=3.5, bar_height=12.0, module=0.33, gap=1.0
)
SHEET_STYLE = Style(padding=2.0, heading=2.8, text=2.4, number=2.6, bar_height=8.0, module=0.30, gap=0.6)


def roll(name: str, width: float, height: float, style: Style) -> Layout:
    """A thermal roll of ``width`` × ``height`` mm labels, one label per page."""
    return Layout(name, width, height, width, height, style)


def a4_sheet(
    columns: int = 3,
    rows: int = 8,
    *,
    top: float = 0.5,
    bottom: float = 0.5,
    left: float = 0.0,
    right: float = 0.0,
    gap_x: float = 0.0,
    gap_y: float = 0.0,
    style: Style = SHEET_STYLE,
) -> Layout:
    """An A4 label sheet: ``columns`` × ``rows`` labels filling the page inside the margins (mm).

    The default is the common 3 × 8 sheet of 70 × 37 mm labels.
    """
    width = (A4[0] - left - right - gap_x * (columns - 1)) / columns
    height = (A4[1] - top - bottom - gap_y * (rows - 1)) / rows
    return Layout(f"a4-{columns}x{rows}", *A4, width, height, style, columns, rows, left, top, gap_x, gap_y)


THERMAL_60X40 = roll("60x40", 60.0, 40.0, THERMAL_STYLE_60X40)
THERMAL_100X50 = roll("100x50", 100.0, 50.0, THERMAL_STYLE_100X50)
A4_3X8 = a4_sheet()

LAYOUTS: dict[str, Layout] = {layout.name: layout for layout in (THERMAL_60X40, THERMAL_100X50, A4_3X8)}


def layout_named(name: str) -> Layout:
    """One of :data:`LAYOUTS` by name (``60x40``, ``100x50``, ``a4-3x8``)."""
    try:
        return LAYOUTS[name]
    except KeyError:
        raise LabelError(f"unknown label layout {name!r}; known: {', '.join(LAYOUTS)}") from None


@dataclass(frozen=True, slots=True)
class TextRun:
    """One line of text: left edge ``x``, top of the em box ``top``, em ``size`` and advance ``width``."""

    x: float
    top: float
    size: float
    width: float
    text: str
    centred: bool


@dataclass(frozen=True, slots=True)
class Bars:
    """A barcode symbol: left edge of its first bar, top, bar height and module width."""

    symbol: Symbol
    x: float
    top: float
    height: float
    module: float


@dataclass(frozen=True, slots=True)
class Placement:
    """Everything drawn on one label, relative to the label's top-left corner."""

    texts: tuple[TextRun, ...]
    bars: Bars


def _line(text: str, top: float, size: float, *, centred: bool, layout: Layout, font: LabelFont) -> TextRun:
    font.check(text)
    room = layout.label_width - 2 * layout.style.padding
    width = font.width(text, size)
    if width > room:
        if width * MIN_SHRINK > room:
            raise DoesNotFit(
                f"{text!r} is {width:.1f} mm wide at {size} mm; "
                f"layout {layout.name} has room for {room:.1f} mm"
            )
        size, width = size * room / width, room
    x = (layout.label_width - width) / 2 if centred else layout.style.padding
    return TextRun(x, top, size, width, text, centred)


def arrange(face: Face, layout: Layout, font: LabelFont) -> Placement:
    """Place ``face`` on one label of ``layout``.

    Raises :class:`DoesNotFit` or :class:`~labels.errors.MissingGlyph` when it cannot be printed as is.
    """
    style = layout.style
    symbol = encode(face.code)
    needed = (symbol.width + 2 * QUIET_ZONE_MODULES) * style.module
    if needed > layout.label_width:
        raise DoesNotFit(
            f"barcode {face.code!r} needs {needed:.1f} mm with its quiet zones at {style.module} mm modules; "
            f"layout {layout.name} is {layout.label_width:.1f} mm wide"
        )
    texts = [_line(face.heading, style.padding, style.heading, centred=True, layout=layout, font=font)]
    top = style.padding + style.heading * LEADING
    texts.append(_line(face.subheading, top, style.text, centred=False, layout=layout, font=font))
    top += style.text * LEADING + style.gap
    bars = Bars(
        symbol, (layout.label_width - symbol.width * style.module) / 2, top, style.bar_height, style.module
    )
    top += style.bar_height + style.gap
    texts.append(_line(face.readable, top, style.number, centred=True, layout=layout, font=font))
    if top + style.number > layout.label_height - style.padding + 1e-6:
        raise DoesNotFit(f"layout {layout.name} is too short for the barcode and its number")
    top += style.number * LEADING
    pitch = style.text * LEADING
    room = int((layout.label_height - style.padding - style.text - top) / pitch + 1e-6) + 1
    if len(face.details) > room:
        raise DoesNotFit(
            f"{len(face.details)} lines below the barcode do not fit on layout {layout.name} "
            f"(room for {room})"
        )
    for detail in face.details:
        texts.append(_line(detail, top, style.text, centred=False, layout=layout, font=font))
        top += pitch
    return Placement(tuple(texts), bars)
