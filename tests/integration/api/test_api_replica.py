"""A province deployment on PostgreSQL: three `custody serve` processes on three ports against one
primary, with a streaming replica (a hot standby started from a base backup) as their read database.
2,000 concurrent scans spread over the three processes leave a gapless chain that `custody ledger verify`
passes on the primary and on the replica once it has caught up; ten failed logins spread 4 + 3 + 3 over
the processes lock the eleventh out on any of them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from pg_replica import Replica
from service_processes import Process

from api.launcher import free_port
from custody.intake import FirearmIntake
from custody.model import Department
from custody.services import Custody

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("pg-replica")]

CUSTODY = str(Path(sys.executable).with_name("custody"))
PASSWORD = "a province on one primary"
CASE_NO = "长南公刑字〔2026〕R3号"
SCANS = 2000


@pytest.fixture(scope="module")
def replica(postgres: Any) -> Iterator[Replica]:
    started = Replica(postgres.database_url("postgres"), free_port()).start()
    yield started
    started.stop()


def verify(url: str, replica_url: str | None = None) -> dict[str, Any]:
    env = {**os.environ, "CUSTODY_DATABASE_URL": url}
    if replica_url is not None:
        env["CUSTODY_READ_DATABASE_URL"] = replica_url
    done = subprocess.run(
        [CUSTODY, "ledger", "verify"], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    answer: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return answer


def test_three_processes_and_a_replica(postgres: Any, postgres_template: str, replica: Replica):
    name = postgres.create(template=postgres_template)
    url = postgres.database_url(name)
    custody = Custody.open(url)
    try:
        admin = custody.users.actor("admin")
        for username in ("admin", "cc-clerk"):
            custody.users.set_password(admin, username, PASSWORD)
        clerk = custody.users.actor("ng-clerk")
        custody.cases.open(clerk, CASE_NO, "非法持有枪支案")
        pistols = [FirearmIntake("手枪", "54式", f"R3-{n}", "7.62mm", True) for n in range(8)]
        numbers = [custody.items.register_firearm(clerk, CASE_NO, p).evidence_no for p in pistols]
        room = Department.EVIDENCE_ROOM
        _station, key = custody.stations.add(admin, "ng-r3", "220102", room, ("s-1",))
        start = custody.ledger.head().seq
    finally:
        custody.close()
    replica.wait_for(url)
    replica_url = replica.url(name)
    processes = [Process(url, PASSWORD, CUSTODY_READ_DATABASE_URL=replica_url) for _ in range(3)]
    try:
        for process in processes:
            process.wait()
        station = {"X-Station-Key": key, "X-Station-Device": "s-1"}
        clients = [httpx.Client(base_url=p.base, headers=station, timeout=60) for p in processes]

        def scan(n: int) -> int:
            body = {"device": "s-1", "idempotency_key": f"r3-{n}", "code": numbers[n % len(numbers)]}
            return clients[n % 3].post("/api/v1/scans", json=body).status_code

        try:
            with ThreadPoolExecutor(max_workers=24) as pool:
                statuses = list(pool.map(scan, range(SCANS)))
        finally:
            for client in clients:
                client.close()
        assert statuses == [201] * SCANS

        # ten failed logins from one address, 4 + 3 + 3 over the processes: the eleventh is refused anywhere
        for attempt, process in enumerate([processes[0]] * 4 + [processes[1]] * 3 + [processes[2]] * 3):
            assert process.token("cc-clerk", f"wrong {attempt}").status_code == 401
        for process in processes:
            assert process.token("admin").status_code == 429
    finally:
        for process in processes:
            process.stop()
    on_primary = verify(url)
    assert on_primary["ok"] is True and on_primary["events"] == start + SCANS
    replica.wait_for(url)
    on_replica = verify(url, replica_url)
    assert on_replica == on_primary  # the same chain, verified where it was replicated to
    postgres.drop(name)
