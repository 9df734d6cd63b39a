"""`custody serve --workers N`: several service processes on one port on PostgreSQL, each with its own
writer, the ledger's chain kept whole by PostgreSQL's advisory lock; on SQLite (one writer per file)
more than one worker is refused with the reason."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from api.launcher import free_port
from custody.intake import FirearmIntake
from custody.model import Department
from custody.services import Custody
from custody_cli.main import cli

CUSTODY = str(Path(sys.executable).with_name("custody"))
SCANS = 400


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_more_than_one_worker_on_sqlite_is_refused_with_the_reason(tmp_path: Path):
    done = CliRunner().invoke(
        cli,
        ["serve", "--workers", "2", "--port", str(free_port())],
        env={"CUSTODY_DATABASE_URL": f"sqlite:///{tmp_path / 'one.sqlite'}"},
    )
    assert done.exit_code == 1
    assert "one writer" in done.output and "PostgreSQL" in done.output


@pytest.mark.postgres
def test_two_workers_on_postgresql_take_concurrent_scans_into_one_gapless_chain(postgres, postgres_template):
    name = postgres.create(template=postgres_template)
    url = postgres.database_url(name)
    custody = Custody.open(url)
    try:
        admin = custody.users.actor("admin")
        clerk = custody.users.actor("ng-clerk")
        custody.cases.open(clerk, "长南公刑字〔2026〕W1号", "非法持有枪支案")
        numbers = [
            custody.items.register_firearm(
                clerk, "长南公刑字〔2026〕W1号", FirearmIntake("手枪", "54式", f"W{n}", "7.62mm", True)
            ).evidence_no
            for n in range(4)
        ]
        _station, key = custody.stations.add(
            admin, "ng-workers", "220102", Department.EVIDENCE_ROOM, ("s-1",)
        )
        start = custody.ledger.head().seq
    finally:
        custody.close()
    port = free_port()
    env = {**os.environ, "CUSTODY_DATABASE_URL": url}
    server = subprocess.Popen(
        [CUSTODY, "serve", "--workers", "2", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            assert time.monotonic() < deadline, "the service did not answer"
            time.sleep(0.2)
        assert len(children(server.pid)) >= 2  # uvicorn's supervisor and its worker processes
        headers = {"X-Station-Key": key, "X-Station-Device": "s-1"}

        def scan(n: int) -> int:
            body = {"device": "s-1", "idempotency_key": f"w-{n}", "code": numbers[n % len(numbers)]}
            with httpx.Client(base_url=base, timeout=30) as client:
                return client.post("/api/v1/scans", headers=headers, json=body).status_code

        with ThreadPoolExecutor(max_workers=16) as pool:
            statuses = list(pool.map(scan, range(SCANS)))
        assert statuses == [201] * SCANS
    finally:
        server.terminate()
        server.wait(30)
    custody = Custody.open(url)
    try:
        verified = custody.ledger.verify()
        assert verified.ok, verified
        assert custody.ledger.head().seq == start + SCANS
        with custody.store.reading() as conn:
            seqs = [s for (s,) in conn.exec_driver_sql("SELECT seq FROM custody_events ORDER BY seq")]
        assert seqs == list(range(1, start + SCANS + 1))
    finally:
        custody.close()
        postgres.drop(name)
