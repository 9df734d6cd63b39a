"""The demo keeps to its own data: its own database file by default, never loaded into a database
holding anything it did not create, and its accounts (public password) stop a service started
without the demo, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import text

from custody.demo import active_demo_accounts
from custody.errors import DemoAccountsActive
from custody.services import Custody
from custody_cli.main import cli


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite'}"
        return
    server = request.getfixturevalue("postgres")
    name = server.create()
    yield server.database_url(name)
    server.drop(name)


def run(url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"CUSTODY_DATABASE_URL": url})


def _counts(url: str) -> tuple[int, int, int]:
    custody = Custody.open(url)
    try:
        with custody.engine.connect() as conn:
            return (
                conn.execute(text("SELECT count(*) FROM users")).scalar_one(),
                conn.execute(text("SELECT count(*) FROM custody_events")).scalar_one(),
                conn.execute(text("SELECT count(*) FROM user_credentials")).scalar_one(),
            )
    finally:
        custody.close()


@pytest.mark.parametrize("command", [("demo",), ("serve", "--demo", "--port", "1")])
def test_the_demo_refuses_a_database_with_users_it_did_not_create_and_writes_nothing(database_url, command):
    before = _counts(database_url)
    refused = run(database_url, *command)
    assert refused.exit_code == 1
    assert "users it did not create" in refused.output and "admin" in refused.output
    assert _counts(database_url) == before


def test_the_demo_loads_into_an_empty_database_and_marks_every_account_it_creates(empty_url):
    loaded = run(empty_url, "demo")
    assert loaded.exit_code == 0, loaded.output
    custody = Custody.open(empty_url)
    try:
        marked = active_demo_accounts(custody.store)
        assert {"admin", "cc-clerk", "prov-destruction"} <= set(marked) and len(marked) == 12
    finally:
        custody.close()
    assert run(empty_url, "demo").exit_code == 0  # the demo's own database: loading again is fine


def test_a_service_without_the_demo_refuses_to_start_while_demo_accounts_are_active(empty_url):
    assert run(empty_url, "demo").exit_code == 0
    refused = run(empty_url, "serve", "--port", "1")
    assert refused.exit_code == 1
    assert "demo accounts are active" in refused.output and "cc-clerk" in refused.output

    from api.serving import service_app

    custody = Custody.open(empty_url)
    try:
        admin = custody.users.actor("admin")
        for username in active_demo_accounts(custody.store):
            if username != "admin":
                custody.users.set_active(admin, username, False)
        with pytest.raises(DemoAccountsActive, match=r"\(admin\)"):
            service_app(custody)
    finally:
        custody.close()


def test_the_demo_has_its_own_file_by_default(tmp_path):
    env = {"CUSTODY_DATA_DIR": str(tmp_path / "data"), "CUSTODY_DATABASE_URL": ""}
    loaded = CliRunner().invoke(cli, ["demo"], env=env)
    assert loaded.exit_code == 0, loaded.output
    assert (tmp_path / "data" / "demo.sqlite").exists()
    assert not (tmp_path / "data" / "custody.sqlite").exists()


def test_accounts_an_earlier_demo_left_with_the_public_password_are_marked_on_upgrade(empty_url):
    from argon2 import PasswordHasher

    from custody.db.migrate import upgrade
    from custody.model import Department, Role
    from custody.passwords import Passwords
    from custody.units import read_units
    from custody.users import Users

    custody = Custody.open(empty_url)
    try:
        upgrade(custody.engine, "0002")
        custody.units.import_units(None, read_units())
        hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        cheap = Users(custody.store, Passwords(custody.store, hasher=hasher))
        admin = custody.users.add("admin", "系统管理员", "220000", Department.OFFICE, {Role.ADMIN})
        custody.users.add("cc-clerk", "长春物证管理员", "220100", Department.EVIDENCE_ROOM, {Role.CLERK})
        custody.users.add("ng-clerk", "no password yet", "220102", Department.EVIDENCE_ROOM, {Role.CLERK})
        cheap.set_password(admin, "admin", "custody-demo")
        cheap.set_password(admin, "cc-clerk", "a real secret now")
        upgrade(custody.engine)
        assert active_demo_accounts(custody.store) == ["admin"]
    finally:
        custody.close()
    refused = run(empty_url, "serve", "--port", "1")
    assert refused.exit_code == 1 and "(admin)" in refused.output


def test_the_app_factory_serves_the_demo_only_on_a_demo_database(database_url, monkeypatch):
    from api.serving import app
    from custody.errors import NotADemoDatabase

    monkeypatch.setenv("CUSTODY_DATABASE_URL", database_url)
    monkeypatch.setenv("CUSTODY_DEMO", "true")
    with pytest.raises(NotADemoDatabase, match="users it did not create"):
        app()
