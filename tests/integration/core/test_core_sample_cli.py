"""`custody sample record`, `custody lot split` and the labels of samples on SQLite and PostgreSQL: the
acting user proves who they are; every act prints one JSON object; a refusal exits non-zero and writes
nothing."""

from __future__ import annotations

import json

import pypdf
import pytest
from click.testing import CliRunner, Result
from seal_world import assert_ledger_sound

from custody.model import ItemState
from custody.services import Custody
from custody_cli.main import cli


@pytest.fixture(autouse=True)
def _cast_with_passwords(passwords):
    """Every act is by a logged-in user of the cast."""


def run(url: str, user: str, password: str, *args: str) -> Result:
    return CliRunner().invoke(
        cli,
        ["--as", user, "--password-stdin", *args],
        env={"CUSTODY_DATABASE_URL": url, "CUSTODY_USER": ""},
        input=password + "\n",
    )


def at_the_lab(custody: Custody, number: str) -> None:
    custody.items.check_out(custody.users.actor("ng-clerk"), number, 1, "lab", "技术室", "2026-12-31")


def test_sample_record_with_a_lot_prints_the_samples_and_the_lot(custody, gun, ammo, database_url, passwords):
    at_the_lab(custody, gun.evidence_no)
    args = ("sample", "record", gun.evidence_no, "--lab", "刑科所", "--examiner", "王检验师")
    done = run(
        database_url,
        "ng-investigator",
        passwords,
        *args,
        "--ammo",
        ammo.evidence_no,
        "--rounds",
        "3",
        "--bullets",
        "2",
        "--cases",
        "1",
        "--date",
        "2026-03-01",
    )
    assert done.exit_code == 0, done.output
    answer = json.loads(done.stdout)
    assert [s["kind"] for s in answer["samples"]] == ["B", "B", "C"]
    assert (answer["lot"]["evidence_no"], answer["lot"]["quantity_rounds"]) == (ammo.evidence_no, 47)
    assert answer["firearm"] == {
        "evidence_no": gun.evidence_no,
        "kind": "F",
        "state": "checked_out",
        "version": 3,
        "unit_code": "220102",
    }
    for made in answer["samples"]:
        assert custody.items.item(None, made["evidence_no"]).sample_of_item_id == gun.id
    assert_ledger_sound(custody)


def test_sample_record_refusals_exit_non_zero_and_write_nothing(custody, gun, ammo, database_url, passwords):
    at_the_lab(custody, gun.evidence_no)
    base = ("sample", "record", gun.evidence_no, "--lab", "刑科所", "--examiner", "王检验师")
    head = custody.ledger.head()
    for user, more, code, says in (
        ("ng-investigator", ("--bullets", "1"), 2, "name the ammunition"),
        ("ng-investigator", ("--ammo", ammo.evidence_no, "--bullets", "1"), 2, "--rounds"),
        ("ng-investigator", ("--ammo", ammo.evidence_no, "--rounds", "99", "--bullets", "1"), 1, "round"),
        ("ng-investigator", ("--lab-stock", "库存"), 1, "at least one sample"),
        ("ng-clerk", ("--lab-stock", "库存", "--bullets", "1"), 1, "investigator"),
        ("jl-clerk", ("--lab-stock", "库存", "--bullets", "1"), 1, "investigator"),
    ):
        refused = run(database_url, user, passwords, *base, *more)
        assert refused.exit_code == code, refused.output
        assert says in refused.output and not refused.stdout.strip().startswith("{")
    assert custody.ledger.head() == head


def test_lot_split_prints_both_lots_and_refuses_taking_them_all(custody, ammo, database_url, passwords):
    done = run(database_url, "ng-clerk", passwords, "lot", "split", ammo.evidence_no, "--rounds", "10")
    assert done.exit_code == 0, done.output
    answer = json.loads(done.stdout)
    assert (answer["original"]["quantity_rounds"], answer["split_off"]["quantity_rounds"]) == (40, 10)
    assert answer["split_off"]["state"] == ItemState.REGISTERED.value
    head = custody.ledger.head()
    refused = run(database_url, "ng-clerk", passwords, "lot", "split", ammo.evidence_no, "--rounds", "40")
    assert refused.exit_code == 1 and "1 to 39" in refused.output
    assert custody.ledger.head() == head
    assert_ledger_sound(custody)


def test_a_samples_label_names_the_firearm_it_was_made_of(custody, gun, database_url, passwords, tmp_path):
    at_the_lab(custody, gun.evidence_no)
    args = ("sample", "record", gun.evidence_no, "--lab", "刑科所", "--examiner", "王", "--lab-stock", "库存")
    made = run(database_url, "ng-investigator", passwords, *args, "--cases", "1")
    sample_no = json.loads(made.stdout)["samples"][0]["evidence_no"]
    out = tmp_path / "sample.pdf"
    printed = run(database_url, "ng-clerk", passwords, "label", "item", sample_no, "--out", str(out))
    assert printed.exit_code == 0, printed.output
    text = pypdf.PdfReader(out).pages[0].extract_text()
    assert sample_no in text and f"枪支 {gun.evidence_no}" in text and "弹壳样本" in text
    assert "None" not in text
    zpl = tmp_path / "sample.zpl"
    assert (
        run(database_url, "ng-clerk", passwords, "label", "item", sample_no, "--out", str(zpl)).exit_code == 0
    )
    assert gun.evidence_no in zpl.read_text(encoding="utf-8")
    sheet = tmp_path / "sheet.pdf"
    case_no = gun.case_no or custody.items.item(None, gun.evidence_no).case_no
    listed = run(
        database_url, "ng-clerk", passwords, "label", "sheet", "--case", case_no, "--out", str(sheet)
    )
    assert listed.exit_code == 0, listed.output
    assert f"枪支 {gun.evidence_no}" in pypdf.PdfReader(sheet).pages[0].extract_text()
