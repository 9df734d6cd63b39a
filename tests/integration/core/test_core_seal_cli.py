"""`custody location|seal|custodian|label` on SQLite and PostgreSQL: the acting user and every second
person (witness, new custodian) prove who they are with their own password; a refusal writes nothing."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner, Result
from seal_world import SHELF_1, SHELF_2, STORE, accepted_items, assert_ledger_sound

from custody.codes import SealNumber
from custody.model import Department, ItemState, Role, SealStatus
from custody.services import Custody
from custody_cli.main import cli


def run(url: str, *args: str, stdin: str = "") -> Result:
    return CliRunner().invoke(
        cli, list(args), env={"CUSTODY_DATABASE_URL": url, "CUSTODY_USER": ""}, input=stdin
    )


def as_user(url: str, username: str, passwords: int, *args: str, password: str) -> Result:
    """``args`` as ``username``, the acting user's and every second person's password on stdin."""
    return run(url, "--as", username, "--password-stdin", *args, stdin=(password + "\n") * passwords)


def lines(result: Result) -> list[dict[str, object]]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


@pytest.fixture
def places(database_url: str, custody: Custody, passwords: str) -> None:
    for code, name in ((STORE, "一号库"), ("L220102-A-1", "一室"), (SHELF_1, "1号架"), (SHELF_2, "2号架")):
        added = as_user(
            database_url, "ng-custodian", 1, "location", "add", code, "--name", name, password=passwords
        )
        assert added.exit_code == 0, added.output


def test_locations_are_added_and_listed(database_url, custody, passwords, places):
    listed = as_user(database_url, "ng-custodian", 1, "location", "list", password=passwords)
    assert listed.exit_code == 0, listed.output
    assert [(r["code"], r["level"]) for r in lines(listed)] == [
        (STORE, "store"),
        ("L220102-A-1", "room"),
        (SHELF_1, "shelf"),
        (SHELF_2, "shelf"),
    ]
    orphan = as_user(
        database_url, "ng-custodian", 1, "location", "add", "L220102-Q-1", "--name", "x", password=passwords
    )
    assert orphan.exit_code == 1 and "add L220102-Q first" in orphan.output


def test_seal_walk_on_the_command_line(database_url, custody, passwords, places):
    gun, ammo = accepted_items(custody)
    numbers = [gun.evidence_no, ammo.evidence_no]
    made = as_user(
        database_url,
        "ng-custodian",
        2,
        *("seal", "create", "--location", SHELF_1, "--witness", "ng-auditor", *numbers),
        password=passwords,
    )
    assert made.exit_code == 0, made.output
    seal_no = str(lines(made)[-1]["seal_no"])
    assert SealNumber.parse(seal_no).sequence == 1
    assert {custody.items.item(None, n).state for n in numbers} == {ItemState.SEALED}

    shown = as_user(database_url, "ng-auditor", 1, "seal", "show", seal_no, password=passwords)
    view = lines(shown)[-1]
    assert (view["status"], view["location_code"], view["witness"]) == ("intact", SHELF_1, "ng-auditor")
    assert sorted(i["evidence_no"] for i in view["items"]) == sorted(numbers)

    moved = as_user(
        database_url, "ng-custodian", 1, "seal", "move", seal_no, "--to", SHELF_2, password=passwords
    )
    assert moved.exit_code == 0 and lines(moved)[-1]["location_code"] == SHELF_2
    opened = as_user(
        database_url,
        "ng-custodian",
        2,
        *("seal", "open", seal_no, "--reason", "送检", "--witness", "ng-investigator"),
        password=passwords,
    )
    assert opened.exit_code == 0, opened.output
    assert lines(opened)[-1]["status"] == SealStatus.VOID.value
    again = as_user(
        database_url,
        "ng-custodian",
        2,
        *("seal", "create", "--location", SHELF_2, "--witness", "ng-clerk2", *numbers),
        password=passwords,
    )
    assert again.exit_code == 0, again.output
    assert SealNumber.parse(str(lines(again)[-1]["seal_no"])).sequence == 2
    assert_ledger_sound(custody)


def test_a_wrong_witness_password_seals_nothing(database_url, custody, passwords, places):
    gun = accepted_items(custody, count=1)[0]
    head = custody.ledger.head()
    refused = run(
        database_url,
        *("--as", "ng-custodian", "--password-stdin"),
        *("seal", "create", "--location", SHELF_1, "--witness", "ng-auditor", gun.evidence_no),
        stdin=f"{passwords}\nnot the witness's password\n",
    )
    assert refused.exit_code == 1 and "witness was not confirmed" in refused.output
    assert custody.ledger.head() == head
    assert custody.items.item(None, gun.evidence_no).state is ItemState.HANDED_OVER


def test_the_custodian_as_witness_is_refused(database_url, custody, passwords, places):
    gun = accepted_items(custody, count=1)[0]
    head = custody.ledger.head()
    refused = as_user(
        database_url,
        "ng-custodian",
        2,
        *("seal", "create", "--location", SHELF_1, "--witness", "ng-custodian", gun.evidence_no),
        password=passwords,
    )
    assert refused.exit_code == 1 and "another person" in refused.output
    assert custody.ledger.head() == head


def test_custodian_change_on_the_command_line(database_url, custody, passwords, places):
    gun, ammo = accepted_items(custody)
    admin = custody.users.actor("admin")
    custody.users.create(
        admin, "ng-custodian2", "南关治安二", "220102", Department.PUBLIC_ORDER, {Role.CUSTODIAN}, passwords
    )
    numbers = (gun.evidence_no, ammo.evidence_no)
    head = custody.ledger.head()
    refused = as_user(
        database_url,
        "ng-custodian",
        2,
        *("custodian", "change", "--unit", "220102", "--to", "ng-clerk2"),
        password=passwords,
    )
    assert refused.exit_code == 1 and "not a sealed-storage custodian" in refused.output
    assert custody.ledger.head() == head
    changed = as_user(
        database_url,
        "ng-custodian",
        2,
        *("custodian", "change", "--unit", "220102", "--to", "ng-custodian2"),
        password=passwords,
    )
    assert changed.exit_code == 0, changed.output
    answer = lines(changed)[-1]
    assert (sorted(answer["items"]), answer["to"]) == (sorted(numbers), "ng-custodian2")
    successor = custody.users.actor("ng-custodian2").id
    assert {custody.items.item(None, n).custodian_user_id for n in numbers} == {successor}
    assert_ledger_sound(custody)


def test_seal_and_location_labels(database_url, custody, passwords, places, tmp_path):
    gun = accepted_items(custody, count=1)[0]
    made = as_user(
        database_url,
        "ng-custodian",
        2,
        *("seal", "create", "--location", SHELF_1, "--witness", "ng-auditor", gun.evidence_no),
        password=passwords,
    )
    seal_no = str(lines(made)[-1]["seal_no"])
    seal_pdf, place_zpl = tmp_path / "seal.pdf", tmp_path / "place.zpl"
    printed = as_user(
        database_url, "ng-custodian", 1, "label", "seal", seal_no, "--out", str(seal_pdf), password=passwords
    )
    assert printed.exit_code == 0, printed.output
    assert seal_pdf.read_bytes().startswith(b"%PDF")
    printed = as_user(
        database_url,
        "ng-custodian",
        1,
        "label",
        "location",
        SHELF_1,
        "--out",
        str(place_zpl),
        password=passwords,
    )
    assert printed.exit_code == 0, printed.output
    zpl = place_zpl.read_bytes()
    assert zpl.startswith(b"^XA") and SHELF_1.encode() in zpl
    missing = as_user(
        database_url, "jl-clerk", 1, "label", "seal", seal_no, "--out", str(seal_pdf), password=passwords
    )
    assert missing.exit_code == 1 and "unknown seal" in missing.output
