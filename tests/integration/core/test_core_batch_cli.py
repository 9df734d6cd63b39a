"""`custody batch` on SQLite and PostgreSQL: the province's destruction officer builds a batch from an
application, adds another, a second officer approves it with their own password; the builder approving
exits 1 and writes nothing."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner, Result
from destruction_world import OFFICER, add_people, sealed_items
from seal_world import assert_ledger_sound

from custody.model import Department, Role
from custody.services import Custody
from custody_cli.main import cli

APPROVER = "prov-destruction2"


def run(url: str, username: str, *args: str, password: str, second: str | None = None) -> Result:
    env = {"CUSTODY_DATABASE_URL": url, "CUSTODY_USER": ""}
    stdin = password + "\n" + ("" if second is None else second + "\n")
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


def test_a_batch_on_the_command_line(database_url: str, custody: Custody, password: str):
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
    assert_ledger_sound(custody)
