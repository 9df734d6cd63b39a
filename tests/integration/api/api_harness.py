"""The API over a test database: an app with cheap password hashing, a client, logins and stations.

Passwords are hashed with argon2id at 1 MiB and one pass here (the default parameters are tested on
their own), so creating and logging in users costs about a millisecond each.
"""

from __future__ import annotations

import functools
import itertools
import shutil
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from fastapi import FastAPI
from sqlalchemy import Table, insert, select
from sqlalchemy.engine import Connection

from api.app import create_app
from api.deps import Services
from custody.clock import FixedClock
from custody.credentials import password_hasher
from custody.db.tables import CredentialRow, UserRow
from custody.model import Department, Role
from custody.passwords import LoginPolicy, Passwords
from custody.services import Custody

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's TestClient on httpx: deprecated upstream, still the way
    from fastapi.testclient import TestClient

PASSWORD = "correct horse battery staple"
# A firearm as the API registers it (add "case_no").
FIREARM = {
    "firearm_type": "手枪",
    "make_model": "54式",
    "serial_number": "5401123",
    "calibre": "7.62mm",
    "fires_standard_ammunition": True,
}
START = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)  # as the shared fixtures' clock
CHEAP_HASHER = password_hasher(memory_kib=1024, passes=1)
_serial = itertools.count(1)
_users = cast(Table, UserRow.__table__)
_credentials = cast(Table, CredentialRow.__table__)


@functools.cache
def _shared_app() -> FastAPI:
    """One app per test process (building one takes a tenth of a second): each harness gives it its
    own services, and tests in a process run one after another."""
    return create_app()


@functools.cache
def _password_hash() -> str:
    return CHEAP_HASHER.hash(PASSWORD)


def unique(prefix: str) -> str:
    """A name no other call in this process returns."""
    return f"{prefix}{next(_serial)}"


class Harness:
    """An app over one database, its client, and the users' and stations' credentials."""

    def __init__(
        self, custody: Custody, clock: FixedClock, policy: LoginPolicy | None = None, own_app: bool = False
    ) -> None:
        self.custody = custody
        self.clock = clock
        self.passwords = Passwords(custody.store, policy, hasher=CHEAP_HASHER)
        self.services = Services.over(custody, self.passwords)
        self.users, self.sessions = self.services.users, self.services.sessions
        if own_app:
            self.app = create_app(self.services)
        else:
            self.app = _shared_app()
            self.app.state.services = self.services
        self.client: TestClient = TestClient(self.app, raise_server_exceptions=True)
        self._admin = custody.users.actor("admin")

    @contextmanager
    def running(self) -> Iterator[Harness]:
        with self.client:
            yield self

    def give_passwords(self, *usernames: str) -> None:
        """The test password for these users, written in one transaction (fixture set-up)."""
        hashed = _password_hash()
        now = self.clock.now_us()

        def act(conn: Connection) -> None:
            ids = conn.execute(select(_users.c.id).where(_users.c.username.in_(usernames))).scalars().all()
            assert len(ids) == len(usernames), usernames
            rows = [
                {"user_id": i, "password_hash": hashed, "changed_at_us": now, "failed_logins": 0} for i in ids
            ]
            conn.execute(insert(_credentials), rows)

        self.custody.writer.submit(act)

    def add_user(self, username: str, unit: str, department: Department, *roles: Role) -> str:
        """A new user with the test password; returns the username."""
        self.users.create(self._admin, username, username, unit, department, roles, PASSWORD)
        return username

    def token(self, username: str, password: str = PASSWORD) -> str:
        answer = self.client.post("/api/v1/auth/login", json={"username": username, "password": password})
        assert answer.status_code == 200, answer.text
        return str(answer.json()["token"])

    def login(self, username: str, password: str = PASSWORD) -> dict[str, str]:
        return bearer(self.token(username, password))

    def station(self, name: str, unit: str, *devices: str) -> str:
        """A new station's key."""
        _station, key = self.services.stations.add(
            self._admin, name, unit, Department.EVIDENCE_ROOM, devices or ("scanner-1",)
        )
        return key

    def head_seq(self) -> int:
        return self.custody.ledger.head().seq


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def station_headers(key: str, device: str | None = "scanner-1") -> dict[str, str]:
    headers = {"X-Station-Key": key}
    if device is not None:
        headers["X-Station-Device"] = device
    return headers


def problem(answer: Any, status: int, code: str) -> dict[str, Any]:
    """Assert ``answer`` is an RFC 9457 problem of this status and type; return its body."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json"), answer.headers
    body: dict[str, Any] = answer.json()
    assert body["type"] == f"/problems/{code}", body
    assert body["status"] == status and body["title"] and body["detail"], body
    # every problem carries a stable message key and its parameters, for a client's own translation
    assert isinstance(body["key"], str) and body["key"], body
    assert isinstance(body["params"], dict), body
    return body


def module_database(request: pytest.FixtureRequest, back_end: str) -> tuple[str, Callable[[], None]]:
    """A database of the module's own on ``back_end`` (copied from the session's template) and how
    to drop it."""
    if back_end == "sqlite":
        folder = request.getfixturevalue("tmp_path_factory").mktemp("module-db")
        path = folder / "custody.sqlite"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}", lambda: None
    server = request.getfixturevalue("postgres")
    name = server.create(template=request.getfixturevalue("postgres_template"))
    return server.database_url(name), lambda: server.drop(name)
