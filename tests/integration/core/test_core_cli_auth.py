"""The command line proves who acts, as the API does, on SQLite and PostgreSQL: a kept session (0600)
or the user's password, a second person's own password, scope on reads and on user administration."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import text

from custody.model import EventType
from custody.services import Custody
from custody_cli.main import cli


def run(url: str, *args: str, stdin: str = "") -> Result:
    return CliRunner().invoke(
        cli, list(args), env={"CUSTODY_DATABASE_URL": url, "CUSTODY_USER": ""}, input=stdin
    )


def session_file() -> Path:
    return Path(os.environ["CUSTODY_SESSION_FILE"])


def events(custody: Custody) -> int:
    with custody.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM custody_events")).scalar_one())


def test_login_keeps_a_private_session_that_later_commands_act_with(database_url, passwords, gun):
    logged = run(database_url, "login", "ng-clerk", "--password-stdin", stdin=passwords + "\n")
    assert logged.exit_code == 0, logged.output
    kept = session_file()
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600 and stat.S_IMODE(kept.parent.stat().st_mode) == 0o700
    assert passwords not in kept.read_text()
    assert json.loads(run(database_url, "whoami").output)["username"] == "ng-clerk"
    shown = run(database_url, "item", "show", gun.evidence_no)
    assert shown.exit_code == 0 and json.loads(shown.output.splitlines()[0])["evidence_no"] == gun.evidence_no


def test_logout_ends_the_session_for_every_copy_of_the_token(database_url, passwords):
    run(database_url, "login", "ng-clerk", "--password-stdin", stdin=passwords + "\n")
    copy = session_file().read_bytes()
    assert run(database_url, "logout").exit_code == 0 and not session_file().exists()
    session_file().write_bytes(copy)
    session_file().chmod(0o600)
    refused = run(database_url, "whoami")
    assert refused.exit_code == 1 and "log in again" in refused.output


def test_a_session_ends_when_an_administrator_revokes_it(database_url, passwords, custody):
    run(database_url, "login", "ng-clerk", "--password-stdin", stdin=passwords + "\n")
    custody.users.revoke_sessions(custody.users.actor("admin"), "ng-clerk")
    refused = run(database_url, "case", "open", "K-77")
    assert refused.exit_code == 1 and "log in again" in refused.output


def test_a_session_file_others_could_read_is_refused(database_url, passwords):
    run(database_url, "login", "ng-clerk", "--password-stdin", stdin=passwords + "\n")
    session_file().chmod(0o644)
    refused = run(database_url, "whoami")
    assert refused.exit_code == 1 and "0600" in refused.output


def test_without_a_session_or_a_password_nothing_is_read_or_written(database_url, passwords, gun, custody):
    before = events(custody)
    for args in (("item", "show", gun.evidence_no), ("case", "open", "K-78"), ("item", "overdue")):
        refused = run(database_url, *args)
        assert refused.exit_code == 1 and "custody login" in refused.output, args
    wrong = run(
        database_url, "--as", "ng-clerk", "--password-stdin", "case", "open", "K-79", stdin="wrong guess!\n"
    )
    assert wrong.exit_code == 1 and "wrong username or password" in wrong.output
    assert events(custody) == before


def test_wrong_passwords_on_the_command_line_lock_the_account_as_on_the_api(database_url, passwords):
    for n in range(5):
        run(database_url, "--as", "ng-clerk", "--password-stdin", "whoami", stdin=f"wrong guess {n}\n")
    locked = run(database_url, "--as", "ng-clerk", "--password-stdin", "whoami", stdin=passwords + "\n")
    assert (
        locked.exit_code == 1 and "wrong username or password" in locked.output
    )  # the right one, locked out
    assert run(database_url, "login", "ng-clerk", "--password-stdin", stdin=passwords + "\n").exit_code == 1


def test_a_handover_needs_the_receivers_own_password(database_url, passwords, custody, gun, case):
    custody.cases.close(custody.users.actor("ng-clerk"), case.case_no)
    as_clerk = ("--as", "ng-clerk", "--password-stdin")
    offer = ("handover", "offer", case.case_no, gun.evidence_no, "--to", "ng-custodian")
    offered = run(database_url, *as_clerk, *offer, stdin=f"{passwords}\n")
    assert offered.exit_code == 0, offered.output
    handover_id = str(json.loads(offered.output)["id"])
    before = events(custody)
    as_custodian = ("--as", "ng-custodian", "--password-stdin")
    refused = run(
        database_url, *as_custodian, "handover", "accept", handover_id, stdin="not the custodian's\n"
    )
    assert refused.exit_code == 1 and "wrong username or password" in refused.output
    assert events(custody) == before
    accepted = run(database_url, *as_custodian, "handover", "accept", handover_id, stdin=f"{passwords}\n")
    assert accepted.exit_code == 0, accepted.output
    assert json.loads(accepted.output)["status"] == "accepted"
    shown = custody.items.item(None, gun.evidence_no)
    assert shown.state == "handed_over"
    assert shown.history[-1].event_type == EventType.HANDOVER_ACCEPTED.value


def test_a_witness_confirms_with_their_own_password(database_url, passwords, custody, gun, case):
    clerk = custody.users.actor("ng-clerk")
    custody.cases.close(clerk, case.case_no)
    offered = custody.handovers.offer(clerk, case.case_no, "ng-custodian", [gun.evidence_no])
    custody.handovers.accept(custody.users.actor("ng-custodian"), offered.id)
    as_custodian = ("--as", "ng-custodian", "--password-stdin")
    act = ("item", "correct", gun.evidence_no, "--set", "serial_number=8", "--reason", "笔误")
    witnessed = (*act, "--witness", "ng-clerk2")
    before = events(custody)
    unwitnessed = run(database_url, *as_custodian, *act, stdin=f"{passwords}\n")
    assert unwitnessed.exit_code == 1 and "needs a witness" in unwitnessed.output
    refused = run(database_url, *as_custodian, *witnessed, stdin=f"{passwords}\nwrong witness pw\n")
    assert refused.exit_code == 1 and "wrong username or password" in refused.output
    assert events(custody) == before
    done = run(database_url, *as_custodian, *witnessed, stdin=f"{passwords}\n{passwords}\n")
    assert done.exit_code == 0, done.output
    assert custody.items.item(None, gun.evidence_no).history[-1].witness == "ng-clerk2"


def test_reads_on_the_command_line_keep_to_the_acting_users_scope(
    database_url, passwords, gun, case, tmp_path
):
    as_other = ("--as", "jl-clerk", "--password-stdin")
    for args in (
        ("item", "show", gun.evidence_no),
        ("case", "show", case.case_no),
        ("label", "item", gun.evidence_no, "--out", str(tmp_path / "never.pdf")),
    ):
        refused = run(database_url, *as_other, *args, stdin=passwords + "\n")
        assert refused.exit_code == 1 and "unknown" in refused.output, args
    assert not (tmp_path / "never.pdf").exists()


@pytest.mark.parametrize(
    ("unit", "extra"),
    [
        ("220000", ("--admin",)),
        ("220000", ("--role", "destruction_officer")),
        ("220200", ("--role", "clerk")),
    ],
)
def test_an_administrator_adds_users_only_within_their_unit(database_url, passwords, custody, unit, extra):
    custody.users.create(
        custody.users.actor("admin"), "ng-admin", "南关管理员", "220102", "office", {"admin"}, passwords
    )
    added = run(
        database_url,
        *("--as", "ng-admin", "--password-stdin", "user", "add", "someone", "--name", "某人"),
        *("--unit", unit, "--department", "office", *extra),
        stdin=passwords + "\n",
    )
    assert added.exit_code == 1 and "may not add users" in added.output
    within = run(
        database_url,
        *("--as", "ng-admin", "--password-stdin", "user", "add", "someone", "--name", "某人"),
        *("--unit", "220102", "--department", "evidence_room", "--role", "clerk"),
        stdin=passwords + "\n",
    )
    assert within.exit_code == 0, within.output


def test_once_users_exist_only_a_province_administrator_imports_units(database_url, passwords):
    assert run(database_url, "unit", "import").exit_code == 1
    county = run(
        database_url, "--as", "ng-clerk", "--password-stdin", "unit", "import", stdin=passwords + "\n"
    )
    assert county.exit_code == 1 and "may not import units" in county.output
    done = run(database_url, "--as", "admin", "--password-stdin", "unit", "import", stdin=passwords + "\n")
    assert done.exit_code == 0 and "0 units added" in done.output


def test_an_expired_session_is_refused(database_url, passwords, custody):
    run(database_url, "login", "ng-clerk", "--password-stdin", stdin=passwords + "\n")
    with custody.engine.begin() as conn:
        conn.execute(text("UPDATE user_sessions SET expires_at_us = 1"))
    refused = run(database_url, "whoami")
    assert refused.exit_code == 1 and "expired" in refused.output


def test_a_deactivated_users_session_ends_and_an_administrator_can_unlock(database_url, passwords):
    run(database_url, "login", "ng-clerk", "--password-stdin", stdin=passwords + "\n")
    as_admin = ("--as", "admin", "--password-stdin", "user")
    done = run(database_url, *as_admin, "deactivate", "ng-clerk", stdin=passwords + "\n")
    assert done.exit_code == 0, done.output
    assert run(database_url, "whoami").exit_code == 1
    assert run(database_url, *as_admin, "activate", "ng-clerk", stdin=passwords + "\n").exit_code == 0
    for n in range(5):
        run(database_url, "--as", "ng-clerk2", "--password-stdin", "whoami", stdin=f"wrong guess {n}\n")
    assert run(database_url, *as_admin, "unlock", "ng-clerk2", stdin=passwords + "\n").exit_code == 0
    back = run(database_url, "--as", "ng-clerk2", "--password-stdin", "whoami", stdin=passwords + "\n")
    assert back.exit_code == 0, back.output
    outside = run(
        database_url,
        "--as",
        "ng-clerk",
        "--password-stdin",
        "user",
        "unlock",
        "admin",
        stdin=passwords + "\n",
    )
    assert outside.exit_code == 1
