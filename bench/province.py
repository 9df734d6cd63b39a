"""Scan intake on PostgreSQL, ``custody serve --workers 2`` against ``--workers 1`` on one port.

A database of the test server (``CUSTODY_TEST_PG_URL``; created for the run and dropped after it) is
bulk-loaded with firearms and their chained intake events and a station; the service then runs as one
process and as two (uvicorn's supervisor, each worker with its own group-commit writer, the ledger's
chain held by PostgreSQL's advisory lock), on identical PostgreSQL settings (``fsync`` and
``synchronous_commit`` as the server has them). ``wrk`` posts scans at 16 connections, every request with
a fresh idempotency key. The arms alternate (1, 2, 1, 2, …) for ``--pairs`` pairs; each arm's figure is
its median. ratio = two workers ÷ one (goal ≥ 0.9 on a 2-core machine: a second process must not cost
throughput). Sightings/s, p99, the database's transactions/s (reads' included) and its durable WAL
flushes/s (``pg_stat_wal.wal_sync``, the server's) are reported per arm: scans a flush is the mean batch
the disk sees, the writers' group commit and PostgreSQL's own together.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from api.launcher import SERVICE_APP, ServiceProcess
from bench._report import result, table
from bench.api import WRK_SCRIPT, run_wrk

PG_URL = os.environ.get("CUSTODY_TEST_PG_URL", "postgresql+psycopg://custody:custody@127.0.0.1:5432/test")


def build(url: str, items: int) -> tuple[list[str], str]:
    """The schema, units and a station, then ``items`` firearms with their chained intake events
    (bulk-loaded); returns some evidence numbers and the station key."""
    from custody.clock import SystemClock
    from custody.db.migrate import upgrade
    from custody.ledger import canonical_payload, event_hash
    from custody.model import Department, Role
    from custody.numbers import EvidenceNumber, ItemKind
    from custody.services import Custody
    from custody.units import read_units

    custody = Custody.open(url)
    upgrade(custody.engine)
    custody.units.import_units(None, read_units())
    admin = custody.users.add("bench-admin", "基准", "220000", Department.OFFICE, {Role.ADMIN})
    clerk = custody.users.add("bench-clerk", "基准", "220102", Department.EVIDENCE_ROOM, {Role.CLERK})
    case = custody.cases.open(clerk, "BENCH-PROVINCE-1")
    _station, key = custody.stations.add(
        admin, "bench-desk", "220102", Department.EVIDENCE_ROOM, ["scanner-1"]
    )
    head = custody.ledger.head()
    engine = custody.engine
    now = SystemClock().now_us()
    numbers, item_rows, event_rows = [], [], []
    prev, seq = head.hash, head.seq
    with engine.begin() as conn:
        first_id = int(conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM items")).scalar_one()) + 1
    for n in range(1, items + 1):
        number = str(EvidenceNumber(ItemKind.FIREARM, "220102", 2026, n))
        numbers.append(number)
        item_id = first_id + n - 1
        columns = {
            "evidence_no": number,
            "kind": "F",
            "unit_code": "220102",
            "registered_at_us": now,
            "firearm_type": "手枪",
            "make_model": "54式",
            "serial_number": f"B{n}",
            "calibre": "7.62mm",
            "fires_standard_ammunition": True,
            "description": "",
        }
        item_rows.append({"id": item_id, "no": number, "case": case.id, "at": now, "serial": f"B{n}"})
        seq += 1
        payload = canonical_payload({**columns, "case_no": "BENCH-PROVINCE-1"})
        row = [seq, prev, now, "registered", item_id, case.id, clerk.id, "220102", "", "", None, 1, payload]
        prev = event_hash(row)
        event_rows.append(dict(zip(_EVENT_COLUMNS, (*row, prev), strict=True)))
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO items (id, evidence_no, kind, case_id, unit_code, state, version, "
                "registered_at_us, description, firearm_type, make_model, serial_number, calibre, "
                "fires_standard_ammunition) VALUES (:id, :no, 'F', :case, '220102', 'registered', 1, :at, "
                "'', '手枪', '54式', :serial, '7.62mm', true)"
            ),
            item_rows,
        )
        placeholders = ", ".join(f":{c}" for c in _EVENT_COLUMNS)
        conn.execute(
            text(f"INSERT INTO custody_events ({', '.join(_EVENT_COLUMNS)}) VALUES ({placeholders})"),
            event_rows,
        )
        conn.execute(
            text("INSERT INTO number_sequences (unit_code, year, last_sequence) VALUES ('220102', 2026, :n)"),
            {"n": items},
        )
        conn.execute(
            text("SELECT setval(pg_get_serial_sequence('items', 'id'), (SELECT MAX(id) FROM items))")
        )
    custody.close()
    return numbers[:: max(1, items // 2000)], key


_EVENT_COLUMNS = (
    "seq",
    "prev_hash",
    "recorded_at_us",
    "event_type",
    "item_id",
    "case_id",
    "actor_id",
    "unit_code",
    "station",
    "device",
    "witness_id",
    "item_version",
    "payload",
    "hash",
)


_SIGHTINGS = text("SELECT COUNT(*) FROM custody_events WHERE event_type = 'sighted'")
# transactions committed in the database so far, reads included (PostgreSQL counts no writes apart)
_COMMITS = text("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
# durable flushes of the write-ahead log (one per commit that waited for the disk, or fewer when
# PostgreSQL's own group commit shares one): scans per flush is the batch the disk sees
_FLUSHES = text("SELECT wal_sync FROM pg_stat_wal")
_SETTINGS = text("SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit')")


def count(url: str, query: Any) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(query).scalar_one())
    finally:
        engine.dispose()


def scan_script(directory: Path, codes: list[str], key: str) -> Path:
    """A wrk script posting scans of ``codes`` whose idempotency keys no earlier run used (a key used
    before would be answered from its first answer, and no sighting made)."""
    run = uuid.uuid4().hex[:12]
    script = directory / f"scan-{run}.lua"
    script.write_text(WRK_SCRIPT % {"codes": ", ".join(f'"{c}"' for c in codes), "key": key, "run": run})
    return script


def arm(
    url: str, workers: int, codes: list[str], key: str, seconds: int, connections: int
) -> dict[str, float]:
    env = {**os.environ, "CUSTODY_DATABASE_URL": url}
    flags = ["--loop", "uvloop", "--http", "httptools", "--workers", str(workers), "--no-access-log"]
    service = ServiceProcess(SERVICE_APP, env=env, log_level="warning", args=flags, stdout=subprocess.DEVNULL)
    with service.start(timeout=120), tempfile.TemporaryDirectory() as tmp:
        run_wrk(service.port, scan_script(Path(tmp), codes, key), 1, connections)  # warm every worker
        script = scan_script(Path(tmp), codes, key)
        before = {name: count(url, query) for name, query in _COUNTED.items()}
        figures = run_wrk(service.port, script, seconds, connections)
        after = {name: count(url, query) for name, query in _COUNTED.items()}
        for name in _COUNTED:
            figures[f"{name}_per_s"] = (after[name] - before[name]) / seconds
        figures["sightings_per_flush"] = figures["sightings_per_s"] / max(figures["flushes_per_s"], 1e-9)
    return figures


_COUNTED = {"commits": _COMMITS, "sightings": _SIGHTINGS, "flushes": _FLUSHES}


def median(runs: list[dict[str, float]], key: str) -> float:
    return float(statistics.median(r[key] for r in runs))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench province")
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args(argv)
    server = make_url(PG_URL)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"custody_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        codes, key = build(url, args.items)
        one: list[dict[str, float]] = []
        two: list[dict[str, float]] = []
        for _pair in range(args.pairs):
            one.append(arm(url, 1, codes, key, args.seconds, args.connections))
            two.append(arm(url, 2, codes, key, args.seconds, args.connections))
        with create_engine(url).connect() as conn:
            settings: dict[str, str] = {str(k): str(v) for k, v in conn.execute(_SETTINGS).all()}
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()
    ratio = median(two, "rps") / median(one, "rps")
    print(
        f"province: scan intake on PostgreSQL, {args.connections} connections, {args.seconds} s an arm, "
        f"{args.pairs} alternating pairs, {args.items:,} items, fsync {settings.get('fsync')}, "
        f"synchronous_commit {settings.get('synchronous_commit')}"
    )
    rows: list[tuple[str, str]] = []
    for label, runs in (("--workers 1", one), ("--workers 2", two)):
        rows.append(
            (
                label,
                f"{median(runs, 'rps'):,.0f} req/s  p99 {median(runs, 'p99_ms'):.2f} ms  "
                f"{median(runs, 'sightings_per_s'):,.0f} sightings/s  "
                f"{median(runs, 'flushes_per_s'):,.0f} WAL flushes/s, "
                f"{median(runs, 'sightings_per_flush'):.1f} scans a flush  "
                f"{median(runs, 'commits_per_s'):,.0f} transactions/s (reads included)",
            )
        )
    rows.append(("ratio (2 workers / 1)", f"{ratio:.2f}  (goal >= 0.9)"))
    table(rows)
    extra: dict[str, Any] = {
        f"{label}_{key}": round(median(runs, key), 2)
        for label, runs in (("one", one), ("two", two))
        for key in (
            "p99_ms",
            "sightings_per_s",
            "commits_per_s",
            "flushes_per_s",
            "sightings_per_flush",
            "non_2xx",
        )
    }
    result(
        "province",
        round(median(two, "rps"), 1),
        "requests/s",
        round(median(one, "rps"), 1),
        round(ratio, 4),
        **extra,
    )
    return 0
