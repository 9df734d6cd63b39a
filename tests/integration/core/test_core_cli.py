"""The `custody` command end to end on both back ends: set-up, demo, intake, movements and refusals."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from custody.numbers import EvidenceNumber, ItemKind
from custody_cli.main import cli

PASSWORD = "correct horse battery staple"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite'}"
        return
    server = request.getfixturevalue("postgres")
    name = server.create()
    yield server.database_url(name)
    server.drop(name)


def run(url: str, *args: str, user: str | None = None, passwords: tuple[str, ...] = ()) -> Result:
    """`custody ARGS`; with ``user``, acting as that user, who proves it with the test password (and
    any second person with the next ``passwords``) on standard input."""
    env = {"CUSTODY_DATABASE_URL": url, "CUSTODY_USER": ""}
    if user is None:
        return CliRunner().invoke(cli, list(args), env=env)
    lines = "".join(f"{p}\n" for p in (PASSWORD, *passwords))
    return CliRunner().invoke(cli, ["--as", user, "--password-stdin", *args], env=env, input=lines)


def lines(result: Result) -> list[dict]:
    return [json.loads(line) for line in result.output.strip().splitlines() if line.startswith("{")]


def head(url: str) -> dict:
    return lines(run(url, "ledger", "head"))[0]


def test_demo_loads_once_and_verifies(empty_url):
    assert run(empty_url, "db", "upgrade").exit_code == 0
    first = run(empty_url, "demo")
    assert first.exit_code == 0 and "demo loaded: 20 items" in first.output
    loaded = head(empty_url)
    again = run(empty_url, "demo")
    assert again.exit_code == 0 and "already loaded" in again.output
    assert head(empty_url) == loaded
    assert lines(run(empty_url, "ledger", "verify")) == [
        {"ok": True, "events": loaded["seq"], "head": loaded["head"]}
    ]
    replayed = CliRunner().invoke(
        cli,
        ["--as", "admin", "--password-stdin", "ledger", "replay"],
        env={"CUSTODY_DATABASE_URL": empty_url, "CUSTODY_USER": ""},
        input="custody-demo\n",
    )
    assert replayed.exit_code == 0 and lines(replayed)[-1]["differences"] == 0


def test_commands_before_the_schema_say_what_to_do(empty_url):
    result = run(empty_url, "item", "overdue", user="ng-clerk")
    assert result.exit_code == 1 and "custody db upgrade" in result.output


def test_the_first_administrator_with_other_roles_is_refused_not_trimmed(empty_url):
    run(empty_url, "db", "upgrade")
    run(empty_url, "unit", "import")
    refused = CliRunner().invoke(
        cli,
        [
            "--password-stdin",
            *("user", "add", "root", "--name", "管理员", "--unit", "220000"),
            *("--department", "office", "--admin", "--role", "clerk"),
        ],
        env={"CUSTODY_DATABASE_URL": empty_url},
        input=PASSWORD + "\n",
    )
    assert refused.exit_code != 0 and "admin role alone" in refused.output
    from custody.services import Custody

    service = Custody.open(empty_url)
    try:
        assert service.users.count() == 0
    finally:
        service.close()


def test_first_admin_needs_no_acting_user_but_the_second_does(empty_url):
    run(empty_url, "db", "upgrade")
    run(empty_url, "unit", "import")
    first = CliRunner().invoke(
        cli,
        [
            "--password-stdin",
            *("user", "add", "root", "--name", "管理员", "--unit", "220000"),
            *("--department", "office", "--admin"),
        ],
        env={"CUSTODY_DATABASE_URL": empty_url},
        input=PASSWORD + "\n",
    )
    assert first.exit_code == 0, first.output
    second = run(
        empty_url, "user", "add", "x", "--name", "X", "--unit", "220000", "--department", "office", "--admin"
    )
    assert second.exit_code == 1 and "--as" in second.output
    third = run(
        empty_url,
        "user",
        "add",
        "ng",
        "--name",
        "南关",
        "--unit",
        "220102",
        "--department",
        "evidence_room",
        "--role",
        "clerk",
        user="root",
    )
    assert third.exit_code == 0 and "roles clerk" in third.output
    given = run(empty_url, "user", "password", "ng", "--stdin", user="root", passwords=(PASSWORD,))
    assert given.exit_code == 0, given.output
    refused = run(
        empty_url,
        "user",
        "add",
        "y",
        "--name",
        "Y",
        "--unit",
        "220102",
        "--department",
        "evidence_room",
        "--role",
        "clerk",
        user="ng",
    )
    assert refused.exit_code == 1 and "may not add users" in refused.output


def test_intake_and_movements_through_the_cli(database_url, passwords):
    clerk = "ng-clerk"
    assert run(database_url, "case", "open", "K-9", "--title", "案", user=clerk).exit_code == 0
    registered = run(
        database_url,
        "item",
        "register",
        "firearm",
        "--case",
        "K-9",
        "--type",
        "手枪",
        "--make-model",
        "54式",
        "--serial",
        "123",
        "--calibre",
        "7.62mm",
        "--fires-standard",
        "--source-route",
        "境外走私",
        user=clerk,
    )
    assert registered.exit_code == 0, registered.output
    number = lines(registered)[0]["evidence_no"]
    assert number.startswith("F220102")
    out = run(
        database_url,
        "item",
        "checkout",
        number,
        "--purpose",
        "lab",
        "--to",
        "技术室",
        "--due",
        "2099-04-01",
        user=clerk,
    )
    assert lines(out)[0]["state"] == "checked_out"
    stale = run(database_url, "item", "return", number, "--version", "1", user=clerk)
    assert stale.exit_code == 1 and "changed since it was read" in stale.output
    back = run(database_url, "item", "return", number, "--version", "2", user=clerk)
    assert lines(back)[0]["state"] == "registered"
    shown = lines(run(database_url, "item", "show", number, user=clerk))
    assert shown[0]["state"] == "registered" and shown[0]["source_route"] == "境外走私"
    assert [e["event_type"] for e in shown[1:]] == ["registered", "checked_out", "returned"]


def test_refusals_print_one_line_exit_non_zero_and_write_nothing(database_url, passwords):
    run(database_url, "case", "open", "K-1", user="ng-clerk")
    number = lines(
        run(
            database_url,
            "item",
            "register",
            "ammo",
            "--case",
            "K-1",
            "--calibre",
            "9mm",
            "--rounds",
            "30",
            user="ng-clerk",
        )
    )[0]["evidence_no"]
    before = head(database_url)
    wrong_digit = number[:-1] + ("0" if number[-1] != "0" else "1")
    cases = [
        (("item", "transfer", wrong_digit, "--to", "220100"), "check digits"),
        (("item", "transfer", "A220102202699999999", "--to", "220100"), "check digits"),
        (("item", "return", number), "registered: cannot be returned"),
        (("item", "count", number, "--rounds", "-5", "--reason", "x"), "quantity"),
        (("item", "transfer", number, "--to", "999999"), "unknown unit"),
        (("handover", "offer", "K-1", number, "--to", "ng-custodian"), "case is open"),
        (("item", "correct", number, "--set", "state=destroyed", "--reason", "x"), "cannot be corrected"),
    ]
    for args, reason in cases:
        result = run(database_url, *args, user="ng-clerk", passwords=(PASSWORD,))
        assert result.exit_code == 1, args
        assert reason in result.output, (args, result.output)
        assert len(result.output.strip().splitlines()) == 1
    missing = str(EvidenceNumber(ItemKind.FIREARM, "220102", 2026, 9999))
    unknown = run(database_url, "item", "show", missing, user="ng-clerk")
    assert unknown.exit_code == 1 and "unknown item" in unknown.output
    assert run(database_url, "item", "transfer", number, "--to", "220100").exit_code == 1  # no acting user
    assert head(database_url) == before


def test_a_case_number_shared_by_two_units_in_scope_is_named_by_its_unit(database_url, passwords):
    assert run(database_url, "case", "open", "DUP-1", user="ng-clerk").exit_code == 0
    assert run(database_url, "case", "open", "DUP-1", user="kc-clerk").exit_code == 0
    ammo = ("item", "register", "ammo", "--case", "DUP-1", "--calibre", "7.62mm", "--rounds", "20")
    ambiguous = run(database_url, *ammo, user="cc-clerk")
    assert ambiguous.exit_code == 1 and "220102, 220103" in ambiguous.output
    assert run(database_url, "case", "show", "DUP-1", user="cc-clerk").exit_code == 1
    named = run(database_url, *ammo, "--case-unit", "220103", user="cc-clerk")
    assert named.exit_code == 0, named.output
    assert lines(named)[0]["evidence_no"].startswith("A220103")
    shown = lines(run(database_url, "case", "show", "DUP-1", "--case-unit", "220103", user="cc-clerk"))
    assert shown[0]["unit_code"] == "220103" and len(shown) == 2
    assert len(lines(run(database_url, "case", "show", "DUP-1", user="ng-clerk"))) == 1
    closed = run(database_url, "case", "close", "DUP-1", "--case-unit", "220102", user="cc-clerk")
    assert lines(closed)[0]["status"] == "closed"
    assert lines(run(database_url, "case", "show", "DUP-1", user="kc-clerk"))[0]["status"] == "open"
