"""Fixtures shared by the whole suite: databases (SQLite and PostgreSQL) with the schema from the
migrations, the province's units and a cast of users, and a deterministic clock.

Every database test runs on both back ends. PostgreSQL must be reachable (``scripts/test`` starts it);
an unreachable server fails the run, it is never skipped. Each test gets its own database, copied from a
template migrated once per worker.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from custody.clock import FixedClock
from custody.db.migrate import upgrade
from custody.model import Department, Role
from custody.services import Custody
from custody.units import read_units
from simulators.pcscd import Pcscd, PcscdError, pcscd_running

PG_URL = os.environ.get("CUSTODY_TEST_PG_URL", "postgresql+psycopg://custody:custody@127.0.0.1:5432/test")
START = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)  # 09:30 China Standard Time

# username, full name, unit, department, roles
CAST: list[tuple[str, str, str, Department, set[Role]]] = [
    ("admin", "管理员", "220000", Department.OFFICE, {Role.ADMIN}),
    ("ng-clerk", "南关物证管理员", "220102", Department.EVIDENCE_ROOM, {Role.CLERK}),
    ("ng-clerk2", "南关物证管理员二", "220102", Department.EVIDENCE_ROOM, {Role.CLERK}),
    ("ng-custodian", "南关治安", "220102", Department.PUBLIC_ORDER, {Role.CUSTODIAN}),
    ("ng-investigator", "南关刑侦", "220102", Department.CRIMINAL_INVESTIGATION, {Role.INVESTIGATOR}),
    ("cc-clerk", "长春物证管理员", "220100", Department.EVIDENCE_ROOM, {Role.CLERK}),
    ("cc-custodian", "长春治安", "220100", Department.PUBLIC_ORDER, {Role.CUSTODIAN}),
    ("kc-clerk", "宽城物证管理员", "220103", Department.EVIDENCE_ROOM, {Role.CLERK}),
    ("jl-clerk", "吉林市物证管理员", "220200", Department.EVIDENCE_ROOM, {Role.CLERK}),
    ("prov-clerk", "省厅物证管理员", "220000", Department.EVIDENCE_ROOM, {Role.CLERK}),
    ("ng-auditor", "南关督察", "220102", Department.INSPECTION, {Role.AUDITOR}),
]


def _populate(url: str) -> None:
    custody = Custody.open(url, FixedClock(START))
    try:
        upgrade(custody.engine)
        custody.units.import_units(None, read_units())
        for username, name, unit, department, roles in CAST:
            custody.users.add(username, name, unit, department, roles)
    finally:
        custody.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "custody.sqlite"
    _populate(f"sqlite:///{path}")
    return path


class PostgresServer:
    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self.admin = create_engine(self.url, isolation_level="AUTOCOMMIT", pool_size=2)

    def database_url(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def create(self, template: str | None = None) -> str:
        name = f"custody_t_{uuid.uuid4().hex[:12]}"
        clause = f" TEMPLATE {template}" if template else ""
        with self.admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}{clause}"))
        return name

    def drop(self, name: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer(PG_URL)
    try:
        with server.admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - turned into a failure that says what to do
        pytest.fail(
            f"PostgreSQL is not reachable at {PG_URL} (scripts/test starts it): {error}", pytrace=False
        )
    yield server
    server.admin.dispose()


@pytest.fixture(scope="session")
def postgres_template(postgres: PostgresServer) -> Iterator[str]:
    name = postgres.create()
    _populate(postgres.database_url(name))
    yield name
    postgres.drop(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database with the schema, the units and :data:`CAST`, on each back end."""
    if request.param == "sqlite":
        path = tmp_path / "custody.sqlite"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    name = server.create(template=request.getfixturevalue("postgres_template"))
    yield server.database_url(name)
    server.drop(name)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def custody(database_url: str, clock: FixedClock) -> Iterator[Custody]:
    service = Custody.open(database_url, clock)
    yield service
    service.close()


@pytest.fixture(scope="session")
def pcscd_daemon() -> Iterator[Pcscd]:
    """One pcscd for every device test of this worker (the RFID, end-to-end and benchmark tests share it):
    started as a child process when none runs, and stopped afterwards; never skipped when missing."""
    daemon = Pcscd()
    try:
        daemon.start()
    except PcscdError as error:
        pytest.fail(f"the device tests need pcscd with the vpcd reader: {error}")
    yield daemon
    if daemon.owned:
        daemon.stop()


@pytest.fixture
def pcscd(pcscd_daemon: Pcscd) -> Pcscd:
    """The session's pcscd, started again if an earlier test or program left none serving."""
    if not pcscd_running():
        pcscd_daemon.stop()
        try:
            pcscd_daemon.start()
        except PcscdError as error:
            pytest.fail(f"pcscd could not be started again: {error}")
    return pcscd_daemon


PASSWORD = "correct horse battery staple"


@pytest.fixture
def passwords(custody: Custody, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every user of the cast gets :data:`PASSWORD` (argon2id at 1 MiB, one pass: cheap to check), and
    the command line keeps its session in this test's own file. Returns the password."""
    from argon2 import PasswordHasher
    from sqlalchemy import Table, insert, select
    from sqlalchemy.engine import Connection

    from custody.db.tables import CredentialRow, UserRow

    users, credentials = cast(Table, UserRow.__table__), cast(Table, CredentialRow.__table__)
    hashed = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    now = custody.clock.now_us()

    def act(conn: Connection) -> None:
        ids = conn.execute(select(users.c.id)).scalars().all()
        rows = [
            {"user_id": i, "password_hash": hashed, "changed_at_us": now, "failed_logins": 0} for i in ids
        ]
        conn.execute(insert(credentials), rows)

    custody.writer.submit(act)
    monkeypatch.setenv("CUSTODY_SESSION_FILE", str(tmp_path / "session" / "session.json"))
    return PASSWORD
