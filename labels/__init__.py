"""Evidence labels (物证标签): plain values in, PDF or ZPL bytes out, sent to a printer transport.

``labels`` knows nothing of the database, HTTP or the custody core: callers build the label values,
render them and hand the bytes to a printer. Every refusal is a :class:`LabelError`.

Labels (frozen dataclasses, checked when built)::

    ItemLabel(evidence_number, case_number, unit_name, intake_date, details=(), kind=None)
    SampleLabel(sample_number, firearm_number, case_number, unit_name, made_on)
    SealLabel(seal_number, location, sealed_on, custodian, unit_name)
    LocationLabel(location_code, store, room="", shelf="", bin="")

An evidence number must be canonical (``F220100202600012787``: kind letter F/A/B/C, 18 digits, MOD
97-10 check digits); a wrong check digit raises :class:`InvalidLabel` saying so. ``details`` are the
item's description lines (make/model/serial, calibre/quantity); the kind defaults to the letter's
(枪支, 弹药, 弹头样本, 弹壳样本). Seal and location codes are 1 … 32 of ``0-9 A-Z . / -``.

Layouts (millimetres)::

    THERMAL_60X40, THERMAL_100X50, A4_3X8          # also layout_named("60x40" | "100x50" | "a4-3x8")
    a4_sheet(columns=3, rows=8, *, top=0.5, bottom=0.5, left=0.0, right=0.0, gap_x=0.0, gap_y=0.0)

Rendering::

    render_pdf(labels, layout, *, start=1, font=None, title="物证标签") -> bytes
    render_zpl(label_or_labels, layout, dpi=203, *, printer_font="E:ANMDS.TTF", font=None) -> bytes

``start`` is the first position used on the first sheet (1-based, row by row), so a half-used sheet
can go through the printer again. ZPL is for thermal layouts only. Text without a glyph in the
embedded font (WenQuanYi Zen Hei) raises :class:`MissingGlyph`; content that does not fit the
layout, with the barcode's quiet zones, raises :class:`DoesNotFit`.

Printing::

    printer_for(uri) -> Printer        # Printer.send(data: bytes) -> None, raises PrinterError
        file:///path/to/file
        cups://QUEUE, cups://HOST[:PORT]/QUEUE, lp:QUEUE   (raw by default; ?raw=0 lets CUPS filter)
        tcp://HOST[:PORT], socket://HOST[:PORT]            (raw port, 9100 by default)
"""

from __future__ import annotations

from labels.content import Face, ItemLabel, Label, LocationLabel, SampleLabel, SealLabel
from labels.errors import DoesNotFit, InvalidLabel, LabelError, MissingGlyph, PrinterError
from labels.evidence import KIND_TEXT
from labels.fonts import LabelFont, default_font, load_font
from labels.layout import A4_3X8, LAYOUTS, THERMAL_60X40, THERMAL_100X50, Layout, a4_sheet, layout_named
from labels.pdf import render_pdf
from labels.printers import CupsPrinter, FilePrinter, Printer, RawTcpPrinter, printer_for
from labels.zpl import DEFAULT_PRINTER_FONT, render_zpl

__all__ = [
    "A4_3X8",
    "DEFAULT_PRINTER_FONT",
    "KIND_TEXT",
    "LAYOUTS",
    "THERMAL_60X40",
    "THERMAL_100X50",
    "CupsPrinter",
    "DoesNotFit",
    "Face",
    "FilePrinter",
    "InvalidLabel",
    "ItemLabel",
    "Label",
    "LabelError",
    "LabelFont",
    "Layout",
    "LocationLabel",
    "MissingGlyph",
    "Printer",
    "PrinterError",
    "RawTcpPrinter",
    "SampleLabel",
    "SealLabel",
    "a4_sheet",
    "default_font",
    "layout_named",
    "load_font",
    "printer_for",
    "render_pdf",
    "render_zpl",
]
