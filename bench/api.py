"""Scan intake over HTTP, driven by ``wrk`` from a separate process, against a bare FastAPI endpoint.

Both servers run the same way (one uvicorn worker, uvloop, httptools, no access log on stdout); ``wrk``
posts scans at 16 connections, every request with a fresh idempotency key and the evidence number of one
of the items bulk-loaded beforehand. The bare endpoint validates the same body and does nothing else: the
floor. Ours authenticates the station, writes the access log and commits a hash-chained sighting (group
commit, SQLite ``synchronous=FULL``) before it answers. Throughput ratio = ours ÷ bare (goal ≥ 0.4); p99
goal ≤ 10× the bare p99; the service's peak memory (VmHWM) goal < 250 MB.
"""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from api.launcher import SERVICE_APP, ServiceProcess
from bench._report import result, table

WRK_SCRIPT = """
local counter = 0
local codes = {%(codes)s}
local headers = {["Content-Type"] = "application/json", ["X-Station-Key"] = "%(key)s",
                 ["X-Station-Device"] = "scanner-1"}
local threads = 0
setup = function(thread) thread:set("tid", threads); threads = threads + 1 end
request = function()
  counter = counter + 1
  local code = codes[(counter %% #codes) + 1]
  local body = string.format('{"device":"scanner-1","idempotency_key":"%(run)s-%%d-%%d","code":"%%s"}',
                             tid, counter, code)
  return wrk.format("POST", "/api/v1/scans", headers, body)
end
"""


def build(path: Path, items: int) -> tuple[list[str], str]:
    """A database with ``items`` registered firearms (bulk-loaded, with their chained intake events)
    and a station; returns some evidence numbers and the station key."""
    from custody.clock import SystemClock
    from custody.db.migrate import upgrade
    from custody.ledger import canonical_payload, event_hash
    from custody.model import Department, Role
    from custody.numbers import EvidenceNumber, ItemKind
    from custody.services import Custody
    from custody.units import read_units

    custody = Custody.open(f"sqlite:///{path}")
    upgrade(custody.engine)
    custody.units.import_units(None, read_units())
    admin = custody.users.add("bench-admin", "基准", "220000", Department.OFFICE, {Role.ADMIN})
    clerk = custody.users.add("bench-clerk", "基准", "220102", Department.EVIDENCE_ROOM, {Role.CLERK})
    case = custody.cases.open(clerk, "BENCH-API-1")
    _station, key = custody.stations.add(
        admin, "bench-desk", "220102", Department.EVIDENCE_ROOM, ["scanner-1"]
    )
    head = custody.ledger.head()
    custody.close()
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA synchronous = OFF")
    con.execute("BEGIN")
    now = SystemClock().now_us()
    numbers, item_rows, event_rows = [], [], []
    prev, seq = head.hash, head.seq
    first_id = (con.execute("SELECT COALESCE(MAX(id), 0) FROM items").fetchone()[0]) + 1
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
        item_rows.append((item_id, number, case.id, now))
        seq += 1
        payload = canonical_payload({**columns, "case_no": "BENCH-API-1"})
        row = [
            seq,
            prev,
            now,
            "registered",
            item_id,
            case.id,
            clerk.id,
            "220102",
            "",
            "",
            None,
            1,
            payload,
        ]
        prev = event_hash(row)
        event_rows.append((*row, prev))
    con.executemany(
        "INSERT INTO items (id, evidence_no, kind, case_id, unit_code, state, version, registered_at_us, "
        "description, firearm_type, make_model, serial_number, calibre, fires_standard_ammunition) "
        "VALUES (?, ?, 'F', ?, '220102', 'registered', 1, ?, '', '手枪', '54式', 'B', '7.62mm', 1)",
        item_rows,
    )
    con.executemany(f"INSERT INTO custody_events VALUES ({', '.join('?' * 14)})", event_rows)
    con.execute(
        "INSERT INTO number_sequences (unit_code, year, last_sequence) VALUES ('220102', 2026, ?)", (items,)
    )
    con.execute("COMMIT")
    con.close()
    return numbers[:: max(1, items // 2000)], key


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def run_wrk(port: int, script: Path, seconds: int, connections: int) -> dict[str, float]:
    out = subprocess.run(
        [
            "wrk",
            "-t",
            "2",
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "--latency",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    figures = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}  # type: ignore[union-attr]
    for pct in ("50", "99"):
        value, unit = re.search(rf"^\s+{pct}(?:\.000)?%\s+([\d.]+)(us|ms|s)", out, re.M).groups()  # type: ignore[union-attr]
        figures[f"p{pct}_ms"] = float(value) * _UNITS[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    figures["non_2xx"] = float(errors.group(1)) if errors else 0.0
    figures["requests"] = float(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return figures


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench api")
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "custody.sqlite"
        started = time.perf_counter()
        codes, key = build(db, args.items)
        built = time.perf_counter() - started
        script = Path(tmp) / "scan.lua"
        script.write_text(
            WRK_SCRIPT
            % {"codes": ", ".join(f'"{c}"' for c in codes), "key": key, "run": uuid.uuid4().hex[:8]}
        )
        env = {**os.environ, "CUSTODY_DATABASE_URL": f"sqlite:///{db}"}
        flags = ["--loop", "uvloop", "--http", "httptools", "--workers", "1", "--no-access-log"]

        # the bare endpoint is a plain app, ours the service's app factory; both quiet but for warnings
        def server(app: str = SERVICE_APP, factory: bool = True) -> ServiceProcess:
            return ServiceProcess(
                app, factory=factory, env=env, log_level="warning", args=flags, stdout=subprocess.DEVNULL
            )

        with server("bench._bare_api:app", factory=False).start() as bare:
            run_wrk(bare.port, script, 2, args.connections)
            floor = run_wrk(bare.port, script, args.seconds, args.connections)
        with server().start() as ours_proc:
            run_wrk(ours_proc.port, script, 2, args.connections)
            ours = run_wrk(ours_proc.port, script, args.seconds, args.connections)
            memory = peak_mb(ours_proc.pid)
        con = sqlite3.connect(db)
        sightings = con.execute(
            "SELECT COUNT(*) FROM custody_events WHERE event_type = 'sighted'"
        ).fetchone()[0]
        con.close()
    ratio = ours["rps"] / floor["rps"]
    print(
        f"api: scan intake over HTTP, {args.connections} connections, {args.seconds} s each, "
        f"{args.items:,} items (set-up {built:.1f} s)"
    )
    table(
        [
            (
                "bare endpoint",
                f"{floor['rps']:,.0f} req/s  p50 {floor['p50_ms']:.2f} ms  p99 {floor['p99_ms']:.2f} ms",
            ),
            (
                "scan intake",
                f"{ours['rps']:,.0f} req/s  p50 {ours['p50_ms']:.2f} ms  p99 {ours['p99_ms']:.2f} ms",
            ),
            ("non-2xx answers (ours)", f"{ours['non_2xx']:.0f}"),
            ("sightings committed", f"{sightings:,}"),
            ("service peak memory", f"{memory:.0f} MB  (goal < 250 MB)"),
            ("ratio (ours / bare)", f"{ratio:.2f}  (goal >= 0.4)"),
            ("p99 ratio", f"{ours['p99_ms'] / floor['p99_ms']:.1f}x  (goal <= 10x)"),
        ]
    )
    result(
        "api",
        round(ours["rps"], 1),
        "requests/s",
        round(floor["rps"], 1),
        round(ratio, 4),
        p50_ms=ours["p50_ms"],
        p99_ms=ours["p99_ms"],
        bare_p50_ms=floor["p50_ms"],
        bare_p99_ms=floor["p99_ms"],
        peak_mb=round(memory, 1),
        non_2xx=ours["non_2xx"],
        sightings=sightings,
        items=args.items,
    )
    return 0
