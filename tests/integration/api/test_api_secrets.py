"""Passwords, session tokens and station keys never appear in clear: not in the database, not in the
logs, not in any answer but the one that hands a token or key out.

Every secret used here is random, then searched for in a dump of every table, in the SQLite files'
raw bytes, in everything logged at DEBUG (the SQL and its parameters included) and in every other
answer's headers and body.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import Any

import pytest
from api_harness import Harness, bearer, station_headers
from sqlalchemy import inspect, select, text

from custody.credentials import digest
from custody.db.tables import SessionRow, StationRow


def _secret(prefix: str) -> str:
    return f"{prefix}-{secrets.token_urlsafe(18)}"


class Recorder:
    """Every answer, split into those that hand out a secret and all the others."""

    def __init__(self, api: Harness) -> None:
        self.api = api
        self.others: list[Any] = []

    def call(self, method: str, path: str, hands_out_a_secret: bool = False, **kwargs: Any) -> Any:
        answer = self.api.client.request(method, path, **kwargs)
        if not hands_out_a_secret:
            self.others.append(answer)
        return answer


def _everything_stored(api: Harness) -> str:
    engine = api.custody.engine
    with engine.connect() as conn:
        tables = inspect(conn).get_table_names()
        dump = [repr(row) for table in tables for row in conn.execute(text(f'SELECT * FROM "{table}"'))]
    return "\n".join(dump)


def _raw_database_bytes(api: Harness) -> bytes:
    database = api.custody.engine.url.database
    if api.custody.engine.dialect.name != "sqlite" or not database:
        return b""
    files = [Path(database), Path(database + "-wal"), Path(database + "-journal")]
    return b"".join(f.read_bytes() for f in files if f.exists())


@pytest.fixture
def everything_logged(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every log record at DEBUG, the SQL with its parameters included (set before the app starts,
    so that every database connection logs)."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    return caplog


def test_no_secret_is_stored_logged_or_answered_in_clear(everything_logged, api):
    caplog = everything_logged
    first, second, reset, wrong = (_secret(p) for p in ("first", "second", "reset", "wrong"))
    typed_as_username = _secret("typed")  # a password typed into the username field
    record = Recorder(api)
    admin_login = record.call(
        "POST", "/api/v1/auth/login", True, json={"username": "admin", "password": "x" * 3}
    )
    assert admin_login.status_code == 401  # a failed login's answer holds no secret: it is checked too
    record.others.append(admin_login)
    admin = api.login("admin")
    record.call(
        "POST",
        "/api/v1/users",
        headers=admin,
        json={
            "username": "ng-clerk9",
            "full_name": "测试",
            "unit_code": "220102",
            "department": "evidence_room",
            "roles": ["clerk"],
            "password": first,
        },
    )
    login = record.call("POST", "/api/v1/auth/login", True, json={"username": "ng-clerk9", "password": first})
    token = login.json()["token"]
    record.call(
        "PUT",
        "/api/v1/auth/password",
        headers=bearer(token),
        json={"current_password": first, "new_password": second},
    )
    record.call("PUT", "/api/v1/users/ng-clerk9/password", headers=admin, json={"password": reset})
    record.call("POST", "/api/v1/auth/login", json={"username": "ng-clerk9", "password": wrong})
    record.call("POST", "/api/v1/auth/login", json={"username": typed_as_username, "password": wrong})
    later = record.call("POST", "/api/v1/auth/login", True, json={"username": "ng-clerk9", "password": reset})
    later_token = later.json()["token"]
    record.call("GET", "/api/v1/auth/me", headers=bearer(later_token))
    added = record.call(
        "POST",
        "/api/v1/stations",
        True,
        headers=admin,
        json={
            "name": "ng-desk-9",
            "unit_code": "220102",
            "department": "evidence_room",
            "devices": ["scanner-1"],
        },
    )
    key = added.json()["key"]
    record.call("GET", "/api/v1/auth/me", headers=station_headers(key))
    record.call("GET", "/api/v1/stations", headers=admin)
    record.call("GET", "/api/v1/stations/ng-desk-9", headers=admin)
    record.call("GET", "/api/v1/users/ng-clerk9", headers=admin)
    record.call("GET", "/api/v1/access-log?limit=200", headers=admin)
    record.call("POST", "/api/v1/auth/logout", headers=bearer(later_token))
    record.call("GET", "/api/v1/auth/me", headers=bearer(later_token))
    revoked = record.call("POST", "/api/v1/stations/ng-desk-9/revoke", headers=admin)
    assert revoked.status_code == 200
    record.call("GET", "/api/v1/auth/me", headers=station_headers(key))

    clear = [first, second, reset, wrong, token, later_token, key]
    stored, raw = _everything_stored(api), _raw_database_bytes(api)
    answered = "\n".join(f"{a.headers}\n{a.text}" for a in record.others)
    for secret in clear:
        assert secret not in stored, "a secret is stored in clear"
        assert secret.encode() not in raw, "a secret is in the database file"
        assert secret not in caplog.text, "a secret was logged"
        assert secret not in answered, "a secret was answered"
    # looked up as a username (the SQL log shows query parameters), but neither kept nor answered
    assert typed_as_username not in stored and typed_as_username.encode() not in raw
    assert typed_as_username not in answered
    # what is kept instead: digests of the token and the key, argon2id hashes of passwords
    with api.custody.engine.connect() as conn:
        digests = set(conn.execute(select(SessionRow.__table__.c.token_sha256)).scalars())
        key_digest = conn.execute(select(StationRow.__table__.c.key_sha256)).scalar_one()
    assert {digest(token), digest(later_token)} <= digests and key_digest == digest(key)
    assert "$argon2id$" in stored
