"""The crash campaign: the service is killed (SIGKILL) again and again while clerks register firearms
over HTTP, and started again. After every restart every acknowledged (2xx) registration is in the
ledger, nothing is half-written (every item has its registration event and every registration event its
item), the chain verifies, and the evidence-number sequence has no gap. On SQLite and PostgreSQL.

CI runs ``CUSTODY_CRASH_KILLS`` (default 20) kills per back end; the full campaign is
``CUSTODY_CRASH_KILLS=1000 pytest -m long tests/e2e/test_e2e_crash.py -s``, which prints its figures."""

from __future__ import annotations

import os
import random
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest
from e2e_stack import CASE_NO, UNIT, bureau_on, environment
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from api.launcher import ServiceProcess
from custody.model import Department, Role
from custody.numbers import EvidenceNumber
from custody.services import Custody

KILLS = int(os.environ.get("CUSTODY_CRASH_KILLS", "20"))
CLIENTS = 3
PASSWORD = "crash campaign password 1"


def register_until_refused(url: str, token: str, client_no: int, acked: list[str], tried: list[int]) -> None:
    """Register firearms one after another until the service stops answering."""
    with httpx.Client(base_url=url, timeout=10) as client:
        n = 0
        while True:
            n += 1
            body = {
                "case_no": CASE_NO,
                "firearm_type": "手枪",
                "make_model": "54式",
                "serial_number": f"C{client_no}-{n}-{random.randrange(10**9)}",
                "calibre": "7.62mm",
                "fires_standard_ammunition": True,
            }
            tried[0] += 1
            try:
                answer = client.post(
                    "/api/v1/items/firearms", json=body, headers={"Authorization": f"Bearer {token}"}
                )
            except httpx.HTTPError:
                return  # killed: this one's answer never came (it may or may not be recorded)
            if answer.status_code == 201:
                acked.append(answer.json()["evidence_no"])
            elif answer.status_code >= 500:
                return


def check(url: str, acked: list[str]) -> tuple[int, int]:
    """The store after a restart: what the campaign requires. Returns (items, events)."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            items = dict(conn.execute(text("SELECT evidence_no, id FROM items")).all())
            registered = set(
                conn.execute(
                    text("SELECT item_id FROM custody_events WHERE event_type = 'registered'")
                ).scalars()
            )
            events = conn.execute(text("SELECT COUNT(*) FROM custody_events")).scalar_one()
    finally:
        engine.dispose()
    missing = [number for number in acked if number not in items]
    assert not missing, f"acknowledged but not recorded: {missing[:5]}"
    assert set(items.values()) == registered, "an item without its registration, or the reverse"
    sequences = sorted(EvidenceNumber.parse(n).sequence for n in items if n[1:7] == UNIT)
    assert sequences == list(range(1, len(sequences) + 1)), "a gap in the evidence-number sequence"
    custody = Custody.open(url)
    try:
        verified = custody.ledger.verify()
    finally:
        custody.close()
    assert verified.ok, verified.as_dict()
    return len(items), int(events)


@pytest.mark.long
@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_killed_again_and_again_during_intake_nothing_acknowledged_is_lost(
    request: pytest.FixtureRequest, tmp_path: Path, backend: str
):
    bureau = bureau_on(request, tmp_path / "bureau", backend, firearms=1)
    custody = bureau.custody()
    try:
        admin = custody.users.actor("admin")
        custody.users.create(
            admin, "crash-clerk", "试验", UNIT, Department.EVIDENCE_ROOM, {Role.CLERK}, PASSWORD
        )
    finally:
        custody.close()
    service = ServiceProcess(
        env=environment(bureau.url), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    service.start(timeout=60)
    login = httpx.post(
        f"{service.url}/api/v1/auth/login", json={"username": "crash-clerk", "password": PASSWORD}
    )
    token = login.json()["token"]
    acked: list[str] = []
    tried = [0]
    started = time.monotonic()
    try:
        for kill in range(KILLS):
            if kill:
                service.start(timeout=60)
            clients = [
                threading.Thread(target=register_until_refused, args=(service.url, token, c, acked, tried))
                for c in range(CLIENTS)
            ]
            for client in clients:
                client.start()
            time.sleep(random.uniform(0.05, 0.6))
            assert service.process is not None
            service.process.kill()  # SIGKILL: no shutdown, a batch possibly mid-commit
            service.process.wait(30)
            for client in clients:
                client.join(60)
            items, events = check(bureau.url, acked)
            if (kill + 1) % 100 == 0 and kill + 1 < KILLS:  # a long campaign tells how far it is
                print(
                    f"crash campaign ({backend}): {kill + 1} kills in {time.monotonic() - started:.0f} s, "
                    f"{len(acked)} acknowledged, {items} items, {events} events, all verified",
                    flush=True,
                )
    finally:
        if service.process is not None and service.process.poll() is None:
            service.process.kill()
    took = time.monotonic() - started
    print(
        f"crash campaign ({backend}): {KILLS} kills in {took:.0f} s, {tried[0]} requests, "
        f"{len(acked)} acknowledged, {items} items, {events} events, all verified"
    )
    assert acked, "no registration was acknowledged: the campaign tested nothing"
