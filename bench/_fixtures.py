"""Set-up shared by the core benchmarks: a migrated SQLite database with units, a clerk and a case."""

from __future__ import annotations

from pathlib import Path

from custody.actors import Actor
from custody.db.migrate import upgrade
from custody.model import Department, Role
from custody.services import Custody
from custody.units import read_units

CASE_NO = "BENCH-2026-001"


def prepared(path: Path) -> tuple[Custody, Actor]:
    custody = Custody.open(f"sqlite:///{path}")
    upgrade(custody.engine)
    custody.units.import_units(None, read_units())
    clerk = custody.users.add("bench-clerk", "基准测试", "220102", Department.EVIDENCE_ROOM, {Role.CLERK})
    custody.cases.open(clerk, CASE_NO, "benchmark")
    return custody, clerk
