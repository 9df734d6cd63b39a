"""Labels as ZPL II for Zebra-compatible thermal printers.

The label is arranged by :func:`labels.layout.arrange`, exactly as for PDF, and its millimetres are
turned into printer dots: text in a scalable printer font (``^A@``, UTF-8 through ``^CI28``, field
data hex-escaped with ``^FH`` where ZPL would misread it) and the barcode as ``^BC`` with the
same code sets python-barcode chose, so the symbol is as wide as in the PDF.

The module width is a whole number of dots (2 dots = 0.25 mm at 203 dpi, 3 dots = 0.25 mm at 300 dpi
on the 60 × 40 mm label); the symbol and its quiet zones must fit the print width in dots.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from labels.code128 import QUIET_ZONE_MODULES
from labels.content import LABEL_TYPES, Label
from labels.errors import DoesNotFit, LabelError
from labels.fonts import LabelFont, default_font
from labels.layout import Layout, Placement, arrange

#: Andale Mono Simplified Chinese, the resident Chinese font of Zebra's Asian printers.
DEFAULT_PRINTER_FONT = "E:ANMDS.TTF"
_PRINTER_FONT = re.compile(r"[A-Z]:[A-Z0-9_-]{1,16}\.(TTF|TTE|FNT)")
_ESCAPES = {ord("^"): "_5E", ord("~"): "_7E", ord("_"): "_5F"}


def dots(length_mm: float, dpi: int) -> int:
    """``length_mm`` in whole printer dots at ``dpi``."""
    return round(length_mm * dpi / 25.4)


def module_dots(module_mm: float, dpi: int) -> int:
    """The module width in whole dots closest to ``module_mm``, at least one dot."""
    return max(1, dots(module_mm, dpi))


def _field_text(text: str) -> str:
    return text.translate(_ESCAPES)


def _label(placement: Placement, layout: Layout, dpi: int, printer_font: str) -> list[str]:
    width = dots(layout.label_width, dpi)
    lines = ["^XA", "^CI28", f"^PW{width}", f"^LL{dots(layout.label_height, dpi)}", "^LH0,0"]
    for run in placement.texts:
        size = dots(run.size, dpi)
        where = (
            f"^FO0,{dots(run.top, dpi)}^FB{width},1,0,C,0"
            if run.centred
            else (f"^FO{dots(run.x, dpi)},{dots(run.top, dpi)}")
        )
        lines.append(f"{where}^A@N,{size},{size},{printer_font}^FH^FD{_field_text(run.text)}^FS")
    bars = placement.bars
    module = module_dots(bars.module, dpi)
    symbol_width = bars.symbol.width * module
    left = (width - symbol_width) // 2
    if left < QUIET_ZONE_MODULES * module:
        raise DoesNotFit(
            f"barcode {bars.symbol.text!r} is {symbol_width} dots wide at {module}-dot modules; "
            f"with its quiet zones it does not fit the {width}-dot print width "
            f"of layout {layout.name} at {dpi} dpi"
        )
    lines.append(
        f"^FO{left},{dots(bars.top, dpi)}^BY{module}^BCN,{dots(bars.height, dpi)},N,N,N,N"
        f"^FD{bars.symbol.zpl_data()}^FS"
    )
    lines.append("^XZ")
    return lines


def render_zpl(
    labels: Label | Iterable[Label],
    layout: Layout,
    dpi: int = 203,
    *,
    printer_font: str = DEFAULT_PRINTER_FONT,
    font: LabelFont | None = None,
) -> bytes:
    """ZPL (UTF-8) for one label or several, one ``^XA … ^XZ`` format each, on a thermal ``layout``.

    ``printer_font`` names a TrueType font stored on the printer that has the Chinese glyphs; text is
    also checked against the PDF label ``font`` so that ZPL never carries text the PDF would refuse.
    """
    if not layout.is_roll:
        raise LabelError(f"ZPL prints on thermal rolls; layout {layout.name} is a sheet")
    if not 100 <= dpi <= 1200:
        raise LabelError(f"printer resolution {dpi} dpi is not plausible (203, 300 or 600)")
    if not _PRINTER_FONT.fullmatch(printer_font):
        raise LabelError(
            f"printer font {printer_font!r} is not a ZPL font name such as {DEFAULT_PRINTER_FONT}"
        )
    font = font or default_font()
    many: list[Label] = [labels] if isinstance(labels, LABEL_TYPES) else list(labels)
    if not many:
        raise LabelError("no labels to print")
    placements = [arrange(label.face(), layout, font) for label in many]
    formats = ["\n".join(_label(placement, layout, dpi, printer_font)) for placement in placements]
    return ("\n".join(formats) + "\n").encode("utf-8")
