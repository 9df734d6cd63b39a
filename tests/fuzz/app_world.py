"""A small world for the fuzz targets that go through the ASGI app: a migrated SQLite database with the
units, a clerk (logged in), an open case with a firearm, and a station with its key."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient

from api.serving import service_app
from custody.db.migrate import upgrade
from custody.intake import FirearmIntake
from custody.model import Department, Role
from custody.services import Custody
from custody.units import read_units

PASSWORD = "fuzzing clerk password 1"


@dataclass
class AppWorld:
    client: TestClient
    clerk: dict[str, str]
    station: dict[str, str]
    evidence_no: str

    @classmethod
    def make(cls) -> AppWorld:
        path = Path(tempfile.mkdtemp(prefix="custody-fuzz-")) / "custody.sqlite"
        custody = Custody.open(f"sqlite:///{path}")
        upgrade(custody.engine)
        custody.units.import_units(None, read_units())
        admin = custody.users.add("admin", "管理员", "220000", Department.OFFICE, {Role.ADMIN})
        custody.users.create(
            admin, "fuzz-clerk", "模糊", "220102", Department.EVIDENCE_ROOM, {Role.CLERK}, PASSWORD
        )
        clerk = custody.users.actor("fuzz-clerk")
        custody.cases.open(clerk, "FUZZ-1")
        item = custody.items.register_firearm(
            clerk, "FUZZ-1", FirearmIntake("手枪", "54式", "F1", "7.62mm", True)
        )
        _station, key = custody.stations.add(
            admin, "fuzz-desk", "220102", Department.EVIDENCE_ROOM, ["scanner-1"]
        )
        client = TestClient(service_app(custody), raise_server_exceptions=False)
        token = client.post("/api/v1/auth/login", json={"username": "fuzz-clerk", "password": PASSWORD})
        bearer = {"Authorization": f"Bearer {token.json()['token']}", "Content-Type": "application/json"}
        station = {"X-Station-Key": key, "X-Station-Device": "scanner-1", "Content-Type": "application/json"}
        return cls(client, bearer, station, str(item.evidence_no))

    def post(self, kind: str, body: bytes) -> int:
        if kind == "scan":
            return self.client.post("/api/v1/scans", content=body, headers=self.station).status_code
        if kind == "register":
            return self.client.post("/api/v1/items/firearms", content=body, headers=self.clerk).status_code
        path = f"/api/v1/items/{self.evidence_no}/checkout"
        return self.client.post(path, content=body, headers=self.clerk).status_code
