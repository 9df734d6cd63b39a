"""`ledger verify` over a million events vs the least work any verifier must do, same table, same run.

Set-up bulk-loads N chained events straight into a migrated SQLite database (not through the service).
The baseline is the bare loop ``for row in SELECT * ORDER BY seq: sha256(b"\\x1f".join(...))``; ours is the
full verification (gapless seq, links, hashes, separators) through the same code as ``custody ledger
verify``. Each runs in its own process so its peak memory (max RSS) is its own. Time ratio = ours ÷
baseline (goal ≤ 1.2, peak memory < 200 MB).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import sqlite3
import tempfile
import time
from pathlib import Path

from bench._report import child_result, result, table
from custody.ledger import ALL_COLUMNS, GENESIS_HASH, canonical_payload, event_hash

EVENT_TYPES = ("registered", "transferred", "checked_out", "returned", "corrected")


def build(path: Path, n: int) -> None:
    from custody.db.engine import make_engine
    from custody.db.migrate import upgrade

    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA synchronous = OFF")
    con.execute("BEGIN")
    insert = (
        f"INSERT INTO custody_events ({', '.join(ALL_COLUMNS)}) VALUES ({', '.join('?' * len(ALL_COLUMNS))})"
    )
    prev = GENESIS_HASH
    batch = []
    t0 = 1_767_225_600_000_000
    for seq in range(1, n + 1):
        payload = canonical_payload(
            {"to_unit": "220100", "from_unit": "220102", "reason": "移送市局", "n": seq}
        )
        row = [
            seq,
            prev,
            t0 + seq * 1000,
            EVENT_TYPES[seq % 5],
            seq // 3 + 1,
            seq // 50 + 1,
            1,
            "220102",
            "desk-1",
            "scanner-1",
            None,
            seq % 7 + 1,
            payload,
        ]
        prev = event_hash(row)
        row.append(prev)
        batch.append(row)
        if len(batch) == 50_000:
            con.executemany(insert, batch)
            batch.clear()
    con.executemany(insert, batch)
    con.execute("COMMIT")
    con.close()


def child(mode: str, path: Path) -> None:
    from custody.db.engine import make_engine
    from custody.db.ledger_store import verify_ledger

    start = time.perf_counter()
    if mode == "bare":
        con = sqlite3.connect(path)
        count = 0
        for row in con.execute("SELECT * FROM custody_events ORDER BY seq"):
            hashlib.sha256(b"\x1f".join(v if isinstance(v, bytes) else str(v).encode() for v in row)).digest()
            count += 1  # noqa: SIM113 - the bare loop stays exactly as specified
        ok = True
    else:
        outcome = verify_ledger(make_engine(f"sqlite:///{path}"))
        count, ok = outcome.events, outcome.ok
    elapsed = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"elapsed": elapsed, "events": count, "ok": ok, "peak_mb": peak_mb}))


def run_child(mode: str, path: Path) -> dict[str, float]:
    return child_result("verify", mode, str(path))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench verify")
    parser.add_argument("-n", type=int, default=1_000_000, help="events in the ledger (default 1000000)")
    parser.add_argument("--rounds", type=int, default=3, help="best of this many runs each")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ledger.sqlite"
        started = time.perf_counter()
        build(path, args.n)
        built = time.perf_counter() - started
        bare = [run_child("bare", path) for _ in range(args.rounds)]
        ours = [run_child("ours", path) for _ in range(args.rounds)]
    best_bare = min(r["elapsed"] for r in bare)
    best_ours = min(r["elapsed"] for r in ours)
    peak = max(r["peak_mb"] for r in ours)
    if not all(r["ok"] and r["events"] == args.n for r in ours):
        raise SystemExit(f"verification failed on an intact ledger: {ours}")
    ratio = best_ours / best_bare
    print(f"verify: {args.n:,} events on SQLite (set-up {built:.1f} s), best of {args.rounds}")
    table(
        [
            ("bare hash loop", f"{best_bare:.2f} s ({args.n / best_bare:,.0f} events/s)"),
            ("custody ledger verify", f"{best_ours:.2f} s ({args.n / best_ours:,.0f} events/s)"),
            ("peak memory (max RSS)", f"{peak:.0f} MB  (goal < 200 MB)"),
            ("ratio (ours / baseline)", f"{ratio:.2f}  (goal <= 1.2)"),
        ]
    )
    result(
        "verify",
        round(best_ours, 6),
        "s",
        round(best_bare, 6),
        round(ratio, 4),
        events=args.n,
        peak_mb=round(peak, 1),
    )
    return 0
