"""`custody label …`: print labels for items, seals and storage locations of the database."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from custody_cli.context import acting_user, fail, reports_errors, services

if TYPE_CHECKING:
    from collections.abc import Sequence

    from custody.records import Item
    from labels import Label


@click.group()
def label() -> None:
    """Evidence labels: PDF (thermal or A4 sheets) or ZPL, to a file or a printer."""


def item_label(
    item: Item, unit_name: str, case_no: str | None = None, firearm_no: str | None = None
) -> Label:
    """The label values of one item (of case ``case_no`` when given, else the item's own): the service's
    own (:func:`api.routes.labels.label_of`); a ballistic sample's names its firearm (``firearm_no``)."""
    from dataclasses import replace

    from api.routes.labels import label_of

    return label_of(replace(item, case_no=case_no) if case_no else item, unit_name, firearm_no)


def _deliver(data: bytes, out: Path | None, printer: str | None) -> None:
    from labels import LabelError, printer_for

    if printer:
        try:
            printer_for(printer).send(data)
        except LabelError as refused:
            fail(str(refused))
        click.echo(f"sent {len(data)} bytes to {printer}")
    elif out:
        out.write_bytes(data)
        click.echo(f"wrote {out} ({len(data)} bytes)")
    else:
        sys.stdout.buffer.write(data)


def _render(labels: Sequence[Label], layout_name: str, fmt: str, start: int) -> bytes:
    from labels import LabelError, layout_named, render_pdf, render_zpl

    try:
        layout = layout_named(layout_name)
        if fmt == "zpl":
            return render_zpl(labels, layout)
        return render_pdf(labels, layout, start=start)
    except LabelError as refused:
        fail(str(refused))
    raise AssertionError("unreachable")


_layout = click.option(
    "--layout", default="60x40", type=click.Choice(["60x40", "100x50", "a4-3x8"]), show_default=True
)
_format = click.option(
    "--format",
    "fmt",
    type=click.Choice(["pdf", "zpl"]),
    default=None,
    help="Default: zpl for a .zpl file, otherwise pdf.",
)
_out = click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file.")
_printer = click.option(
    "--printer", help="Printer URI: tcp://HOST:9100, cups://QUEUE, lp:QUEUE, file:///path."
)


def _format_for(fmt: str | None, out: Path | None) -> str:
    return fmt or ("zpl" if out is not None and out.suffix.lower() == ".zpl" else "pdf")


@label.command("item")
@click.argument("evidence_no")
@_layout
@_format
@_out
@_printer
@reports_errors
def item_command(
    evidence_no: str, layout: str, fmt: str | None, out: Path | None, printer: str | None
) -> None:
    """The label of one item; refuses a wrong check digit or an item unknown to the acting user."""
    with services() as custody:
        item = custody.items.item(acting_user(custody), evidence_no)
        unit_name = custody.units.get(item.unit_code).name_zh
        firearm_no = custody.samples.firearm_of(item)
    data = _render([item_label(item, unit_name, None, firearm_no)], layout, _format_for(fmt, out), 1)
    _deliver(data, out, printer)


@label.command("sheet")
@click.option("--case", "case_no", required=True)
@click.option(
    "--start", type=int, default=1, show_default=True, help="First free position on the first sheet."
)
@click.option(
    "--layout", default="a4-3x8", type=click.Choice(["60x40", "100x50", "a4-3x8"]), show_default=True
)
@_format
@_out
@_printer
@reports_errors
def sheet_command(
    case_no: str, start: int, layout: str, fmt: str | None, out: Path | None, printer: str | None
) -> None:
    """Labels of every item of a case the acting user may see, on A4 sheets by default."""
    with services() as custody:
        case = custody.cases.get(acting_user(custody), case_no)
        names = {code: custody.units.get(code).name_zh for code in {i.unit_code for i in case.items}}
        firearms = {i.evidence_no: custody.samples.firearm_of(i) for i in case.items}
    if not case.items:
        fail(f"case {case_no} has no items")
    labels = [item_label(i, names[i.unit_code], case_no, firearms[i.evidence_no]) for i in case.items]
    _deliver(_render(labels, layout, _format_for(fmt, out), start), out, printer)


@label.command("seal")
@click.argument("seal_no")
@_layout
@_format
@_out
@_printer
@reports_errors
def seal_command(seal_no: str, layout: str, fmt: str | None, out: Path | None, printer: str | None) -> None:
    """The label of a seal (封存标签): number, location, sealing date and custodian."""
    from custody.clock import china_date
    from labels import SealLabel

    with services() as custody:
        view = custody.seals.show(acting_user(custody), seal_no)
        unit_name = custody.units.get(view.seal.unit_code).name_zh
    made = SealLabel(
        seal_number=view.seal.seal_no,
        location=view.seal.location_code,
        sealed_on=china_date(view.seal.sealed_at_us),
        custodian=view.custodian_name,
        unit_name=unit_name,
    )
    _deliver(_render([made], layout, _format_for(fmt, out), 1), out, printer)


@label.command("location")
@click.argument("code")
@_layout
@_format
@_out
@_printer
@reports_errors
def location_command(code: str, layout: str, fmt: str | None, out: Path | None, printer: str | None) -> None:
    """The label of a storage location (存放位置): its code and the names of its store, room, shelf
    and bin."""
    from labels import LocationLabel

    with services() as custody:
        path = custody.locations.path(acting_user(custody), code)
        unit_name = custody.units.get(path[0].unit_code).name_zh
    names = [place.name for place in path] + [""] * (4 - len(path))
    made = LocationLabel(
        location_code=path[-1].code,
        store=f"{unit_name} {names[0]}",
        room=names[1],
        shelf=names[2],
        bin=names[3],
    )
    _deliver(_render([made], layout, _format_for(fmt, out), 1), out, printer)
