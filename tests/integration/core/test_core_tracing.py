"""Source-and-flow tracing letters on SQLite and PostgreSQL: an investigator or a clerk of the item's
units issues a letter about a firearm or an ammunition lot; its issue is an event of the item holding
the letter whole, numbered without gaps per unit and year; printed again it reads the same, after the
item is corrected; the letter is rendered to PDF and read back, and as CSV. Every refusal writes
nothing."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pdfplumber
import pytest
from destruction_world import register_sample
from PIL import Image

from custody.errors import CustodyError, NotFound, NotPermitted, UnknownItem
from custody.intake import FirearmIntake
from custody.numbers import ItemKind
from custody.records import Case, Item
from custody.services import Custody
from reports.tracing import render_tracing, tracing_csv

JILIN = "吉林市公安局刑事侦查支队"


def unchanged(custody: Custody, act: Callable[[], Any], error: type[CustodyError]) -> CustodyError:
    head = custody.ledger.head()
    with pytest.raises(error) as refused:
        act()
    assert custody.ledger.head() == head, "a refusal wrote to the ledger"
    return refused.value


def test_a_letter_is_an_event_of_the_item_numbered_per_unit_and_year(
    custody: Custody, case: Case, gun: Item, ammo: Item
):
    investigator = custody.users.actor("ng-investigator")
    letters = custody.tracing_letters
    first = letters.issue(investigator, gun.evidence_no, JILIN, reply_by="2026-04-01")
    assert first.reference == "220102协查〔2026〕1号"
    assert (first.addressee, first.reply_by, first.case_no) == (JILIN, "2026-04-01", case.case_no)
    assert "来源和流向" in first.request  # the request asked by default
    fields = dict(first.item)
    assert (fields["serial_number"], fields["source_route"], fields["source_seller"], fields["kind"]) == (
        "5401123",
        "境外走私",
        "王某",
        "F",
    )
    event = custody.items.item(None, gun.evidence_no).history[-1]
    assert (event.event_type, event.seq, event.payload["reference"]) == (
        "tracing_letter",
        first.point.seq,
        first.reference,
    )
    assert custody.items.item(None, gun.evidence_no).version == gun.version  # the item is as it was
    second = letters.issue(
        custody.users.actor("ng-clerk"), ammo.evidence_no, "辽宁省公安厅", "查明弹药批号来源"
    )
    assert (second.reference, second.request) == ("220102协查〔2026〕2号", "查明弹药批号来源")
    # printed again after a correction of the item: the letter reads as issued
    custody.items.correct(
        custody.users.actor("ng-clerk"),
        gun.evidence_no,
        gun.version,
        {"serial_number": "5401124"},
        "枪号录入有误",
    )
    again = letters.get(investigator, first.point.seq)
    assert replace(again, point=first.point) == first  # the point is the letter's event; the head moved
    assert (again.point.seq, again.point.hash, again.point.head_seq) == (first.point.seq, first.point.hash, 6)
    assert dict(again.item)["serial_number"] == "5401123"


def test_refusals_write_nothing(custody: Custody, case: Case, gun: Item):
    letters = custody.tracing_letters
    investigator = custody.users.actor("ng-investigator")
    sample = register_sample(custody, case.case_no, gun, ItemKind.BULLET_SAMPLE)
    refused = unchanged(custody, lambda: letters.issue(investigator, sample.evidence_no, JILIN), CustodyError)
    assert "B" in str(refused) or "kind" in str(refused)
    unchanged(custody, lambda: letters.issue(investigator, gun.evidence_no, "  "), CustodyError)
    unchanged(
        custody, lambda: letters.issue(investigator, gun.evidence_no, JILIN, reply_by="04/01"), CustodyError
    )
    custodian = custody.users.actor("ng-custodian")
    unchanged(custody, lambda: letters.issue(custodian, gun.evidence_no, JILIN), NotPermitted)
    jilin_clerk = custody.users.actor("jl-clerk")
    unchanged(custody, lambda: letters.issue(jilin_clerk, gun.evidence_no, JILIN), UnknownItem)
    issued = letters.issue(investigator, gun.evidence_no, JILIN)
    with pytest.raises(NotFound):
        letters.get(jilin_clerk, issued.point.seq)  # another city's clerk: as if there were none
    with pytest.raises(NotFound):
        letters.get(investigator, 1)  # an event that issued no letter
    # a clerk of Jilin numbers its own letters from 1
    other = custody.cases.open(jilin_clerk, "吉公刑字〔2026〕9号", "非法持有枪支案")
    theirs = custody.items.register_firearm(
        jilin_clerk, other.case_no, FirearmIntake("步枪", "56式", "56-1", "7.62mm", True)
    )
    assert letters.issue(jilin_clerk, theirs.evidence_no, "长春市公安局").reference == "220200协查〔2026〕1号"


def test_the_letter_reads_back_from_its_pdf_and_csv(custody: Custody, gun: Item, tmp_path):
    letter = custody.tracing_letters.issue(custody.users.actor("ng-investigator"), gun.evidence_no, JILIN)
    pdf = render_tracing(letter)
    (tmp_path / "letter.pdf").write_bytes(pdf)
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        text = "\n".join(page.extract_text() or "" for page in document.pages)
    for expected in (
        "涉枪案件枪弹来源流向协查函",
        letter.reference,
        JILIN,
        gun.evidence_no,
        "5401123",
        "境外走私",
    ):
        assert expected in text, expected
    assert f"seq {letter.point.seq}" in text and letter.point.hash in text.replace("\n", "")
    rows = tracing_csv(letter).decode("utf-8-sig").splitlines()
    assert rows[0] == "field,value"
    assert f"reference,{letter.reference}" in rows and "item.serial_number,5401123" in rows
    assert f"ledger_hash,{letter.point.hash}" in rows
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            "-png",
            "-singlefile",
            str(tmp_path / "letter.pdf"),
            str(tmp_path / "letter-1"),
        ],
        check=True,
    )
    assert Image.open(tmp_path / "letter-1.png").convert("L").getextrema()[0] < 64  # ink on the page
