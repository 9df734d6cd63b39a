"""`custody batch` on SQLite and PostgreSQL: the province's destruction officer builds a batch from an
application, adds another, a second officer approves it with their own password; the builder approving
exits 1 and writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from destruction_world import OFFICER, add_people, sealed_items
from seal_world import assert_ledger_sound

from custody.model import Department, Role
from custody.numbers import ItemKind
from custody.services import Custody
from custody_cli.main import cli

APPROVER = "prov-destruction2"


def run(
    url: str, username: str, *args: str, password: str, second: str | None = None, more: str = ""
) -> Result:
    env = {"CUSTODY_DATABASE_URL": url, "CUSTODY_USER": ""}
    stdin = password + "\n" + ("" if second is None else second + "\n") + more
    return CliRunner().invoke(cli, ["--as", username, "--password-stdin", *args], env=env, input=stdin)


def record(result: Result) -> dict[str, object]:
    assert result.exit_code == 0, result.output
    found: dict[str, object] = json.loads(result.stdout.splitlines()[-1])
    return found


@pytest.fixture
def password(custody: Custody, request: pytest.FixtureRequest) -> str:
    add_people(custody)
    custody.users.add(
        APPROVER, "省厅销毁专员二", "220000", Department.PROVINCIAL_PUBLIC_ORDER, {Role.DESTRUCTION_OFFICER}
    )
    return str(request.getfixturevalue("passwords"))


def test_a_batch_on_the_command_line(database_url: str, custody: Custody, password: str, tmp_path: Path):
    city = custody.users.actor("cc-custodian")
    first = custody.applications.apply(city, "220100", sealed_items(custody).numbers)
    second = custody.applications.apply(city, "220100", sealed_items(custody).numbers)
    made = record(
        run(
            database_url,
            OFFICER,
            "batch",
            "create",
            "--method",
            "cutting",
            "--place",
            "长春钢厂",
            "--date",
            "2030-04-15",
            str(first.id),
            password=password,
        )
    )
    batch_id = str(made["id"])
    assert (made["status"], made["method"], made["applications"]) == ("open", "cutting", [first.id])
    added = record(run(database_url, OFFICER, "batch", "add", batch_id, str(second.id), password=password))
    assert added["applications"] == [first.id, second.id]
    items = added["items"]
    assert isinstance(items, list) and len(items) == 4

    head = custody.ledger.head()
    own = run(
        database_url,
        OFFICER,
        "batch",
        "approve",
        batch_id,
        "--approver",
        OFFICER,
        password=password,
        second=password,
    )
    assert own.exit_code == 1, own.output
    wrong = run(
        database_url,
        OFFICER,
        "batch",
        "approve",
        batch_id,
        "--approver",
        APPROVER,
        password=password,
        second="wrong",
    )
    assert wrong.exit_code == 1, wrong.output
    assert custody.ledger.head() == head

    approved = record(
        run(
            database_url,
            OFFICER,
            "batch",
            "approve",
            batch_id,
            "--approver",
            APPROVER,
            password=password,
            second=password,
        )
    )
    assert (approved["status"], approved["approved_by"]) == ("approved", APPROVER)
    shown = record(run(database_url, "cc-custodian", "batch", "show", batch_id, password=password))
    shown_items = shown["items"]
    assert isinstance(shown_items, list)
    assert {i["state"] for i in shown_items} == {"approved"}

    # the site: refused before two witnesses confirmed, then scans on standard input
    numbers = {i["kind"]: i["evidence_no"] for i in shown_items}
    early = run(
        database_url,
        OFFICER,
        "batch",
        "site",
        batch_id,
        "--method",
        "cutting",
        "--place",
        "长春",
        password=password,
    )
    assert early.exit_code == 1, early.output
    for person in ("ng-auditor", "kc-clerk"):
        record(
            run(
                database_url,
                OFFICER,
                "batch",
                "witness",
                batch_id,
                person,
                password=password,
                second=password,
            )
        )
    reads = "\n".join(
        [
            json.dumps({"event": "listening", "device": "sim"}),
            json.dumps({"event": "scan", "code": numbers[ItemKind.FIREARM.value]}),
            json.dumps({"event": "scan", "code": "NOPE"}),
            "not json",
            json.dumps({"event": "scan", "code": numbers[ItemKind.AMMUNITION.value], "rounds": 7}),
            json.dumps({"event": "scan", "code": numbers[ItemKind.AMMUNITION.value]}),
        ]
    )
    site = run(
        database_url,
        OFFICER,
        "batch",
        "site",
        batch_id,
        "--method",
        "cutting",
        "--place",
        "长春钢厂",
        "--rounds",
        "50",
        password=password,
        more=reads + "\n",
    )
    assert site.exit_code == 0, site.output
    outcomes = [json.loads(line) for line in site.stdout.splitlines()][1:]
    assert [o["status"] for o in outcomes] == [
        "destroyed",
        "unknown",
        "refused",
        "rounds_differ",
        "destroyed",
    ]
    assert (outcomes[3]["key"], outcomes[3]["counted"], outcomes[3]["recorded"]) == (
        "batch.rounds_differ",
        7,
        50,
    )
    found = run(database_url, OFFICER, "batch", "reads", batch_id, "--findings", password=password)
    assert found.exit_code == 0, found.output
    findings = [json.loads(line) for line in found.stdout.splitlines()]
    assert [(f["status"], f["code"]) for f in findings] == [
        ("unknown", "NOPE"),
        ("rounds_differ", numbers[ItemKind.AMMUNITION.value]),
    ]
    early_close = run(database_url, OFFICER, "batch", "close", batch_id, password=password)
    assert early_close.exit_code == 1, early_close.output
    left = [i["evidence_no"] for i in shown_items if i["evidence_no"] not in numbers.values()]
    for number in left:
        record(
            run(
                database_url,
                OFFICER,
                "batch",
                "withdraw",
                batch_id,
                number,
                "--reason",
                "复核",
                password=password,
            )
        )
    photo = tmp_path / "after.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    kept = record(
        run(
            database_url,
            OFFICER,
            "batch",
            "photo",
            batch_id,
            numbers[ItemKind.FIREARM.value],
            str(photo),
            "--after",
            password=password,
        )
    )
    assert kept["media_type"] == "image/png"
    fake = tmp_path / "fake.jpg"
    fake.write_bytes(b"GIF89a" + bytes(64))
    head = custody.ledger.head()
    refused = run(
        database_url,
        OFFICER,
        "batch",
        "photo",
        batch_id,
        numbers[ItemKind.FIREARM.value],
        str(fake),
        "--after",
        password=password,
    )
    assert refused.exit_code == 1 and "JPEG" in refused.output
    assert custody.ledger.head() == head
    closed = record(run(database_url, OFFICER, "batch", "close", batch_id, password=password))
    assert closed["status"] == "closed" and closed["closed_seq"] == custody.ledger.head().seq
    assert_ledger_sound(custody)
