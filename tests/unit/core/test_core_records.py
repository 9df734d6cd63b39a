"""The core's records hold every column of their tables, typed, and nothing the tables do not."""

from __future__ import annotations

from dataclasses import fields

from custody.db.tables import CaseRow, ItemRow, UnitRow
from custody.model import CaseStatus, CheckoutPurpose, ItemState
from custody.numbers import ItemKind
from custody.records import ITEM_COLUMNS, Case, Item, Unit


def _columns(table: object) -> set[str]:
    return {column.name for column in table.__table__.columns}  # type: ignore[attr-defined]


def test_an_item_has_every_column_of_the_items_table():
    assert list(ITEM_COLUMNS) == [column.name for column in ItemRow.__table__.columns]


def test_a_case_and_a_unit_have_every_column_of_their_tables():
    assert _columns(CaseRow) == {f.name for f in fields(Case)} - {"items"}
    assert _columns(UnitRow) == {f.name for f in fields(Unit)}


def test_an_item_from_its_row_holds_enums_and_an_act_changes_it_by_replacing():
    row = {name: None for name in ITEM_COLUMNS}
    row.update(
        id=1,
        evidence_no="F",
        kind="A",
        case_id=2,
        unit_code="220102",
        state="registered",
        version=1,
        registered_at_us=0,
        description="",
        quantity_rounds=50,
    )
    item = Item.from_row(row, "C-1")
    assert (item.kind, item.state, item.case_no, item.checkout) == (
        ItemKind.AMMUNITION,
        ItemState.REGISTERED,
        "C-1",
        None,
    )
    out = item.changed({"state": "checked_out", "checkout_purpose": "lab", "version": 2})
    assert (out.state, out.checkout_purpose, out.version) == (ItemState.CHECKED_OUT, CheckoutPurpose.LAB, 2)
    assert out.checkout is not None and out.checkout.purpose is CheckoutPurpose.LAB
    assert item.state is ItemState.REGISTERED  # the record read stays as it was


def test_a_case_from_its_row_holds_its_status():
    row = {
        "id": 1,
        "case_no": "C-1",
        "unit_code": "220102",
        "title": "",
        "status": "closed",
        "judgment_no": None,
        "judgment_date": None,
        "opened_at_us": 0,
        "version": 2,
    }
    assert Case.from_row(row).status is CaseStatus.CLOSED
