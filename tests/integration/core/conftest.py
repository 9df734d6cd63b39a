from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import pytest

from custody.intake import AmmunitionIntake, FirearmIntake, SourceAndFlow
from custody.services import Custody


def _firearm(serial: str = "5401123", fires: bool = True) -> FirearmIntake:
    return FirearmIntake(
        "手枪", "54式", serial, "7.62mm", fires, SourceAndFlow(route="境外走私", seller="王某")
    )


@pytest.fixture
def firearm() -> Callable[..., FirearmIntake]:
    return _firearm


@pytest.fixture
def case(custody: Custody) -> dict[str, Any]:
    return custody.open_case(custody.actor("ng-clerk"), "长南公刑字〔2026〕001号", "非法持有枪支案")


@pytest.fixture
def gun(custody: Custody, case: dict[str, Any]) -> dict[str, Any]:
    return custody.register_firearm(custody.actor("ng-clerk"), case["case_no"], _firearm())


@pytest.fixture
def ammo(custody: Custody, case: dict[str, Any]) -> dict[str, Any]:
    return custody.register_ammunition(
        custody.actor("ng-clerk"), case["case_no"], AmmunitionIntake("7.62mm", 50, "71-83")
    )


PASSWORD = "correct horse battery staple"


@pytest.fixture
def passwords(custody: Custody, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every user of the cast gets :data:`PASSWORD` (argon2id at 1 MiB, one pass: cheap to check), and
    the command line keeps its session in this test's own file. Returns the password."""
    from argon2 import PasswordHasher
    from sqlalchemy import Table, insert, select
    from sqlalchemy.engine import Connection

    from custody.db.tables import Credential, User

    users, credentials = cast(Table, User.__table__), cast(Table, Credential.__table__)
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
