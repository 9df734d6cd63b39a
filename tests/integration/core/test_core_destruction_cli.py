"""`custody review|destruction` on SQLite and PostgreSQL: the disposition queue, a hold, an application
by Changchun's custodian, its withdrawal, a refusal by the province; each prints JSON, a refusal names
its items, exits 1 and writes nothing."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner, Result
from destruction_world import OFFICER, add_people, sealed_items
from seal_world import assert_ledger_sound

from custody.numbers import ItemKind
from custody.services import Custody
from custody_cli.main import cli


def run(url: str, username: str, *args: str, password: str) -> Result:
    env = {"CUSTODY_DATABASE_URL": url, "CUSTODY_USER": ""}
    stdin = password + "\n"
    return CliRunner().invoke(cli, ["--as", username, "--password-stdin", *args], env=env, input=stdin)


def lines(result: Result) -> list[dict[str, object]]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


@pytest.fixture
def password(custody: Custody, request: pytest.FixtureRequest) -> str:
    add_people(custody)
    return str(request.getfixturevalue("passwords"))


def test_review_and_destruction_on_the_command_line(database_url: str, custody: Custody, password: str):
    # the command line runs on the system's clock: dates far enough ahead to be due within ten years
    lot = sealed_items(custody, review_due="2030-03-20")
    bare = sealed_items(custody, samples=())
    queue = run(
        database_url,
        "ng-custodian",
        "review",
        "list",
        "--unit",
        "220102",
        "--within",
        "3660",
        password=password,
    )
    assert queue.exit_code == 0, queue.output
    assert {(r["evidence_no"], r["standing"]) for r in lines(queue)} >= {
        (lot.gun.evidence_no, "due"),
        (lot.ammo.evidence_no, "due"),
    }
    held = run(
        database_url,
        "ng-custodian",
        "review",
        "hold",
        lot.ammo.evidence_no,
        "--reason",
        "等待法院复函",
        "--until",
        "2099-09-30",
        password=password,
    )
    assert held.exit_code == 0, held.output
    assert lines(held) == [
        {"evidence_no": lot.ammo.evidence_no, "state": "sealed", "review_due": "2099-09-30"}
    ]

    head = custody.ledger.head()
    refused = run(
        database_url,
        "cc-custodian",
        "destruction",
        "apply",
        "--unit",
        "220100",
        lot.gun.evidence_no,
        bare.gun.evidence_no,
        password=password,
    )
    assert refused.exit_code == 1
    assert bare.gun.evidence_no in refused.output and "no bullet sample" in refused.output
    assert custody.ledger.head() == head

    made = run(
        database_url,
        "cc-custodian",
        "destruction",
        "apply",
        "--unit",
        "220100",
        *lot.numbers,
        password=password,
    )
    assert made.exit_code == 0, made.output
    (application,) = lines(made)
    assert (application["status"], application["applicant"]) == ("open", "cc-custodian")
    number = str(application["id"])
    shown = run(database_url, OFFICER, "destruction", "show", number, password=password)
    assert lines(shown)[0]["items"] == application["items"]
    withdrawn = run(database_url, "cc-custodian", "destruction", "withdraw", number, password=password)
    assert withdrawn.exit_code == 0, withdrawn.output
    assert lines(withdrawn)[0]["status"] == "withdrawn"

    again = lines(
        run(
            database_url,
            "cc-custodian",
            "destruction",
            "apply",
            "--unit",
            "220100",
            *lot.numbers,
            password=password,
        )
    )[0]
    refusal = run(
        database_url,
        OFFICER,
        "destruction",
        "refuse",
        str(again["id"]),
        "--reason",
        "样本记录不全",
        password=password,
    )
    assert refusal.exit_code == 0, refusal.output
    assert (lines(refusal)[0]["status"], lines(refusal)[0]["decision_reason"]) == ("refused", "样本记录不全")
    county = run(
        database_url,
        "ng-custodian",
        "destruction",
        "apply",
        "--unit",
        "220102",
        *lot.numbers,
        password=password,
    )
    assert county.exit_code == 1 and "city-level" in county.output
    assert ItemKind.BULLET_SAMPLE in {s.kind for s in lot.samples}
    assert_ledger_sound(custody)
