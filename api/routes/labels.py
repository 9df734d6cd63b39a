"""Evidence labels (物证标签) of items: a PDF or ZPL to download, or the label sent to the service's label
printer (``CUSTODY_LABEL_PRINTER``, in ``CUSTODY_LABEL_FORMAT`` and ``CUSTODY_LABEL_LAYOUT``).

A label shows the evidence number as Code 128 and in print, the case, the unit, the intake day and the
item's particulars; a ballistic sample's label names its firearm. An item outside the caller's scope is
answered as missing. With no printer configured, printing is refused (409 ``label-refused``) and the
download still answers; a printer that does not take the job answers 502 ``printer-failed``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Response
from pydantic import BaseModel, Field, StrictInt

from api.deps import API_PREFIX, Admits, Caller, Services, ServicesDep
from api.errors import responses
from api.schemas import RequestBody
from custody.clock import china_date
from custody.errors import LabelRefused, Message, PrinterFailed
from custody.model import Role
from custody.numbers import ItemKind
from custody.records import Item
from custody.settings import Settings
from labels import (
    ItemLabel,
    Label,
    LabelError,
    PrinterError,
    SampleLabel,
    layout_named,
    printer_for,
    render_pdf,
    render_zpl,
)

router = APIRouter(prefix=API_PREFIX, tags=["labels"])

# who labels items: the clerk at intake, the investigator who makes samples, the custodian in the store
LabelReader = Annotated[Caller, Depends(Admits(Role.CLERK, Role.INVESTIGATOR, Role.CUSTODIAN))]
LabelFormat = Literal["pdf", "zpl"]
LayoutName = Literal["60x40", "100x50", "a4-3x8"]
MAX_COPIES = 20

NO_PRINTER = Message(
    "label.no_printer",
    "no label printer is configured for this service (CUSTODY_LABEL_PRINTER): download the label and "
    "print it at the desk",
)
NOT_MADE = Message("label.not_made", "the label of {evidence_no} cannot be made: {reason}")
PRINTER_FAILED = Message(
    "label.printer_failed", "the printer did not take the label of {evidence_no}: {reason}"
)

MEDIA_TYPES = {"pdf": "application/pdf", "zpl": "text/plain; charset=utf-8"}
LABEL_FILE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The label: a PDF, or ZPL for a thermal printer (`format=zpl`)",
        "content": {
            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            "text/plain": {"schema": {"type": "string"}},
        },
    }
}


class LabelPrintIn(RequestBody):
    copies: Annotated[StrictInt, Field(ge=1, le=MAX_COPIES)] = Field(
        default=1, description="How many labels of the item to print"
    )


class LabelPrinted(BaseModel):
    """The job the printer took."""

    evidence_no: str
    printer: str = Field(description="The configured printer (CUSTODY_LABEL_PRINTER)")
    format: LabelFormat
    layout: LayoutName
    copies: int
    bytes: int


def label_of(item: Item, unit_name: str, firearm_no: str | None) -> Label:
    """The label values of one item; a ballistic sample's names the firearm it was made of."""
    made_on = china_date(item.registered_at_us)
    case_number = item.case_no or ""
    if firearm_no is not None:
        return SampleLabel(item.evidence_no, firearm_no, case_number, unit_name, made_on)
    if item.kind is ItemKind.FIREARM:
        details = (
            f"{item.firearm_type} {item.make_model or ''}".strip(),
            f"编号 {item.serial_number or ''}  {item.calibre or ''}".strip(),
        )
    else:
        details = (f"{item.calibre or ''}  {item.quantity_rounds or 0}发", item.headstamp_lot or "")
    return ItemLabel(
        evidence_number=item.evidence_no,
        case_number=case_number,
        unit_name=unit_name,
        intake_date=made_on,
        details=tuple(d for d in details if d),
    )


def render_label(
    services: Services, item: Item, fmt: LabelFormat, layout: LayoutName, copies: int = 1, dpi: int = 203
) -> bytes:
    """The item's label (``copies`` of it, one job) rendered as ``fmt`` on ``layout``."""
    unit_name = services.custody.units.get(item.unit_code).name_zh
    made = [label_of(item, unit_name, services.custody.samples.firearm_of(item))] * copies
    try:
        shape = layout_named(layout)
        return render_zpl(made, shape, dpi) if fmt == "zpl" else render_pdf(made, shape)
    except LabelError as refused:
        raise LabelRefused(NOT_MADE, evidence_no=item.evidence_no, reason=str(refused)) from refused


def label_download(
    services: Services, caller: Caller, evidence_no: str, fmt: LabelFormat, layout: LayoutName
) -> Response:
    """The item's label as a file to save: ``label-<evidence number>.pdf`` or ``.zpl``."""
    item = services.custody.items.item(caller.actor, evidence_no)
    return Response(
        render_label(services, item, fmt, layout),
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="label-{item.evidence_no}.{fmt}"'},
    )


def print_item_label(services: Services, caller: Caller, evidence_no: str, copies: int) -> LabelPrinted:
    """Send the item's label to the configured printer; refused when none is configured (the item is
    looked up first: an item out of scope is missing whether or not a printer is configured)."""
    item = services.custody.items.item(caller.actor, evidence_no)
    settings = Settings()
    if not settings.label_printer:
        raise LabelRefused(NO_PRINTER)
    fmt, layout = settings.label_format, settings.label_layout
    data = render_label(services, item, fmt, layout, copies, settings.label_dpi)
    try:
        printer_for(settings.label_printer).send(data)
    except PrinterError as failed:
        raise PrinterFailed(PRINTER_FAILED, evidence_no=item.evidence_no, reason=str(failed)) from failed
    return LabelPrinted(
        evidence_no=item.evidence_no,
        printer=settings.label_printer,
        format=fmt,
        layout=layout,
        copies=copies,
        bytes=len(data),
    )


@router.get(
    "/items/{evidence_no}/label",
    response_class=Response,
    responses={**LABEL_FILE, **responses(401, 403, 404, 409, 422)},
)
def item_label(
    evidence_no: str,
    caller: LabelReader,
    services: ServicesDep,
    fmt: Annotated[LabelFormat, Query(alias="format", description="pdf, or zpl")] = "pdf",
    layout: Annotated[LayoutName, Query(description="Thermal 60x40 or 100x50 mm, or A4 sheets")] = "60x40",
) -> Response:
    """The item's label to download (``label-<evidence number>.pdf`` or ``.zpl``)."""
    return label_download(services, caller, evidence_no, fmt, layout)


@router.post(
    "/items/{evidence_no}/label/print",
    status_code=202,
    response_model=LabelPrinted,
    responses=responses(401, 403, 404, 409, 422, 502),
)
def print_label(
    evidence_no: str,
    caller: LabelReader,
    services: ServicesDep,
    body: Annotated[LabelPrintIn | None, Body()] = None,
) -> LabelPrinted:
    """Send the item's label to the service's label printer (202: the printer or print server took the
    job). Refused (409) when no printer is configured; 502 when the printer did not take it."""
    return print_item_label(services, caller, evidence_no, 1 if body is None else body.copies)
