"""Bulk tag reads into an open audit over HTTP, driven by ``wrk``, against a bare endpoint, same run.

A handheld sweeping a shelf reads each tag many times: every request is a batch of 50 reads, five
distinct item tags read ten times each (the first read names the shelf), the batches walking through
the tags of the items bulk-loaded into the store. Ours is the station endpoint of the service
(``POST /api/v1/audits/reads`` with the handheld station's key, bound to a full audit of the shelf):
it authenticates the station, deduplicates the reads per audit, counts every read, writes one
``audit_seen`` ledger event per distinct item seen, logs the request and commits before it answers
(SQLite, WAL, ``synchronous=FULL``). The bare endpoint parses the same JSON and inserts the 50 reads
with the raw driver in one transaction, same durability. Both run the same way (one uvicorn worker,
uvloop, httptools). Reads per second = 50 × requests per second; ratio = ours ÷ bare (goal ≥ 0.5).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

from api.launcher import SERVICE_APP, ServiceProcess
from bench._report import result, table
from bench.api import peak_mb, run_wrk

BATCH, PER_TAG = 50, 10
SHELF = "L220102-A-1"
STATION, DEVICE = "bench-handheld", "reader-1"

WRK_SCRIPT = """
local counter = 0
local tags = {%(tags)s}
local headers = {["Content-Type"] = "application/json", ["X-Station-Key"] = "%(key)s",
                 ["X-Station-Device"] = "%(device)s"}
local threads = 0
setup = function(thread) thread:set("tid", threads); threads = threads + 1 end
request = function()
  counter = counter + 1
  local first = ((counter * 2 + tid) * %(distinct)d) %% #tags
  local parts = {}
  for i = 0, %(batch)d - 1 do
    local tag = tags[((first + (i %% %(distinct)d)) %% #tags) + 1]
    local where = ""
    if i == 0 then where = ',"location_code":"%(shelf)s"' end
    parts[#parts + 1] = string.format('{"uid":"%%s","tamper":"closed","source":"tag"%%s}', tag, where)
  end
  return wrk.format("POST", "/api/v1/audits/reads", headers, '{"reads":[' .. table.concat(parts, ",") .. ']}')
end
"""


def build(path: Path, items: int) -> tuple[list[str], str, int]:
    """A database with ``items`` tagged firearms in the store at the shelf (bulk-loaded), a full audit
    of the shelf bound to the handheld station; returns the tags' UIDs, the station key, the audit."""
    from custody.clock import SystemClock
    from custody.db.migrate import upgrade
    from custody.model import AuditMode, Department, Role
    from custody.numbers import EvidenceNumber, ItemKind
    from custody.services import Custody
    from custody.units import read_units

    custody = Custody.open(f"sqlite:///{path}")
    upgrade(custody.engine)
    custody.units.import_units(None, read_units())
    admin = custody.users.add("bench-admin", "基准", "220000", Department.OFFICE, {Role.ADMIN})
    clerk = custody.users.add("bench-clerk", "基准", "220102", Department.EVIDENCE_ROOM, {Role.CLERK})
    keeper = custody.users.add("bench-keeper", "基准", "220102", Department.PUBLIC_ORDER, {Role.CUSTODIAN})
    auditor = custody.users.add("bench-auditor", "基准", "220102", Department.INSPECTION, {Role.AUDITOR})
    case = custody.cases.open(clerk, "BENCH-TAGREADS-1")
    custody.locations.add(keeper, "L220102-A", "一号库")
    custody.locations.add(keeper, SHELF, "1号架")
    _station, key = custody.stations.add(admin, STATION, "220102", Department.PUBLIC_ORDER, [DEVICE])
    custody.close()
    now = SystemClock().now_us()
    uids = [f"04{n:012X}" for n in range(1, items + 1)]
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA synchronous = OFF")
    con.execute("BEGIN")
    con.executemany(
        "INSERT INTO items (evidence_no, kind, case_id, unit_code, state, version, registered_at_us, "
        "description, firearm_type, make_model, serial_number, calibre, fires_standard_ammunition, "
        "custodian_user_id, location_code, tag_uid) "
        "VALUES (?, 'F', ?, '220102', 'handed_over', 3, ?, '', '手枪', '54式', 'B', '7.62mm', 1, ?, ?, ?)",
        [
            (str(EvidenceNumber(ItemKind.FIREARM, "220102", 2026, n)), case.id, now, keeper.id, SHELF, uid)
            for n, uid in enumerate(uids, 1)
        ],
    )
    con.execute("COMMIT")
    con.close()
    custody = Custody.open(f"sqlite:///{path}")
    audit = custody.audits.open(
        custody.users.actor("bench-auditor"), "220102", [SHELF], AuditMode.FULL, station=STATION
    )
    assert audit.opened_by_id == auditor.id
    custody.close()
    return uids, key, audit.id


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench tagreads")
    parser.add_argument("--items", type=int, default=20_000, help="tagged items on the shelf")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        db, bare_db = Path(tmp) / "custody.sqlite", Path(tmp) / "bare.sqlite"
        started = time.perf_counter()
        uids, key, audit_id = build(db, args.items)
        built = time.perf_counter() - started
        script = Path(tmp) / "tagreads.lua"
        script.write_text(
            WRK_SCRIPT
            % {
                "tags": ", ".join(f'"{u}"' for u in uids),
                "key": key,
                "device": DEVICE,
                "distinct": BATCH // PER_TAG,
                "batch": BATCH,
                "shelf": SHELF,
            }
        )
        env = {**os.environ, "CUSTODY_DATABASE_URL": f"sqlite:///{db}", "BARE_TAGREADS_DB": str(bare_db)}
        flags = ["--loop", "uvloop", "--http", "httptools", "--workers", "1", "--no-access-log"]

        def server(app: str = SERVICE_APP, factory: bool = True) -> ServiceProcess:
            return ServiceProcess(
                app, factory=factory, env=env, log_level="warning", args=flags, stdout=subprocess.DEVNULL
            )

        with server("bench._bare_tagreads:app", factory=False).start() as bare:
            run_wrk(bare.port, script, 2, args.connections)
            floor = run_wrk(bare.port, script, args.seconds, args.connections)
        with server().start() as ours_proc:
            warm = run_wrk(ours_proc.port, script, 2, args.connections)
            ours = run_wrk(ours_proc.port, script, args.seconds, args.connections)
            memory = peak_mb(ours_proc.pid)
        con = sqlite3.connect(db)
        counted, distinct = con.execute(
            "SELECT COALESCE(SUM(read_count), 0), COUNT(*) FROM audit_reads WHERE audit_id = ?", (audit_id,)
        ).fetchone()
        events = con.execute(
            "SELECT COUNT(*) FROM custody_events WHERE event_type = 'audit_seen'"
        ).fetchone()[0]
        con.close()
    answered = (warm["requests"] - warm["non_2xx"] + ours["requests"] - ours["non_2xx"]) * BATCH
    if counted < answered:
        raise SystemExit(f"{answered:,.0f} reads answered 2xx, only {counted:,} counted in the audit")
    if events != distinct:
        raise SystemExit(f"{distinct:,} distinct tags read, {events:,} audit_seen events")
    ours_rps, bare_rps = ours["rps"] * BATCH, floor["rps"] * BATCH
    ratio = ours_rps / bare_rps
    print(
        f"tagreads: batches of {BATCH} reads ({PER_TAG} per tag) over HTTP, {args.connections} connections, "
        f"{args.seconds} s each, {args.items:,} tagged items (set-up {built:.1f} s)"
    )
    table(
        [
            ("bare endpoint (parse + raw insert)", f"{bare_rps:,.0f} reads/s  p99 {floor['p99_ms']:.1f} ms"),
            ("audit reads (station)", f"{ours_rps:,.0f} reads/s  p99 {ours['p99_ms']:.1f} ms"),
            ("non-2xx answers (ours)", f"{ours['non_2xx']:.0f}"),
            ("reads answered 2xx / counted", f"{answered:,.0f} / {counted:,}"),
            ("distinct tags / audit_seen events", f"{distinct:,} / {events:,}"),
            ("service peak memory", f"{memory:.0f} MB"),
            ("ratio (ours / bare)", f"{ratio:.2f}  (goal >= 0.5)"),
        ]
    )
    result(
        "tagreads",
        round(ours_rps, 1),
        "reads/s",
        round(bare_rps, 1),
        round(ratio, 4),
        p99_ms=ours["p99_ms"],
        bare_p99_ms=floor["p99_ms"],
        non_2xx=ours["non_2xx"],
        reads_answered=int(answered),
        reads_counted=counted,
        distinct_tags=distinct,
        audit_seen_events=events,
        peak_mb=round(memory, 1),
        items=args.items,
    )
    return 0
