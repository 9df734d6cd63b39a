"""A signed checkpoint over a million events, from scratch and incrementally, vs the least work any tree
head over the same events needs, same table, same run.

Set-up bulk-loads N chained events into a migrated SQLite database (as ``bench verify`` does). Ours is
``Checkpoints.make(signer, from_scratch=True)``: every event read, checked against the hash chain, encoded,
hashed into the RFC 6962 tree, the head signed and stored (no stored tree state used); then 10,000 more
events are loaded and ``Checkpoints.make(signer)`` goes on from the stored compact range. The baseline is
``SELECT * … ORDER BY seq`` plus a bare leaf-and-node hashlib loop over the same encodings. Each side runs
in its own process, the two taking turns; best of ``--rounds``. Goals: ratio (from scratch) ≤ 1.2,
incremental under 0.5 s.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sqlite3
import tempfile
import time
from pathlib import Path

from bench._report import child_result, result, table
from bench.verify import build

MORE = 10_000


def append_events(path: Path, count: int) -> None:
    """``count`` more chained events after the head (as the set-up loads them)."""
    from custody.ledger import ALL_COLUMNS, canonical_payload, event_hash

    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA synchronous = OFF")
    seq, prev = con.execute("SELECT seq, hash FROM custody_events ORDER BY seq DESC LIMIT 1").fetchone()
    rows = []
    for n in range(seq + 1, seq + count + 1):
        row = [
            n,
            prev,
            1_767_225_600_000_000 + n * 1000,
            "sighted",
            n // 3 + 1,
            None,
            None,
            "220102",
            "desk-1",
            "reader-1",
            None,
            None,
            canonical_payload({"n": n}),
        ]
        prev = event_hash(row)
        rows.append([*row, prev])
    insert = (
        f"INSERT INTO custody_events ({', '.join(ALL_COLUMNS)}) VALUES ({', '.join('?' * len(ALL_COLUMNS))})"
    )
    con.execute("BEGIN")
    con.executemany(insert, rows)
    con.execute("COMMIT")
    con.close()


def child(mode: str, path: Path) -> None:
    if mode == "bare":
        start = time.perf_counter()
        con = sqlite3.connect(path)
        roots: list[bytes] = []
        size = 0
        for row in con.execute("SELECT * FROM custody_events ORDER BY seq"):
            merged = hashlib.sha256(b"\x00" + "\x1f".join(map(str, row[:13])).encode()).digest()
            n = size
            while n & 1:
                merged = hashlib.sha256(b"\x01" + roots.pop() + merged).digest()
                n >>= 1
            roots.append(merged)
            size += 1
        head = roots[-1]
        for left in reversed(roots[:-1]):
            head = hashlib.sha256(b"\x01" + left + head).digest()
        print(json.dumps({"elapsed": time.perf_counter() - start, "size": size, "root": head.hex()}))
        return
    from custody.checkpoints import Checkpoints
    from custody.db.unit_of_work import Store
    from custody.tlog import NoteSigner

    store = Store.open(f"sqlite:///{path}")
    signer = NoteSigner.generate("bench.example/ledger")
    start = time.perf_counter()
    made = Checkpoints(store).make(signer, from_scratch=mode == "scratch")
    elapsed = time.perf_counter() - start
    store.close()
    print(json.dumps({"elapsed": elapsed, "size": made.tree_size, "root": made.root_hash}))


def run_child(mode: str, path: Path) -> dict[str, object]:
    return child_result("checkpoint", mode, str(path))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench checkpoint")
    parser.add_argument("-n", type=int, default=1_000_000, help="events in the ledger (default 1000000)")
    parser.add_argument("--more", type=int, default=MORE, help="events added before the incremental one")
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
        bare, ours = [], []
        for _ in range(args.rounds):  # taking turns, so that both see the machine alike
            bare.append(run_child("bare", path))
            ours.append(run_child("scratch", path))
        append_events(path, args.more)
        incremental = run_child("incremental", path)
        check = run_child("bare", path)
    if {o["root"] for o in ours} != {b["root"] for b in bare} or incremental["root"] != check["root"]:
        raise SystemExit(f"the tree heads differ: {ours[0]} vs {bare[0]}; {incremental} vs {check}")
    best_bare = min(float(r["elapsed"]) for r in bare)  # type: ignore[arg-type]
    best_ours = min(float(r["elapsed"]) for r in ours)  # type: ignore[arg-type]
    step = float(incremental["elapsed"])  # type: ignore[arg-type]
    ratio = best_ours / best_bare
    print(f"checkpoint: {args.n:,} events on SQLite (set-up {built:.1f} s), best of {args.rounds}")
    table(
        [
            (
                "bare SELECT + leaf-and-node hash loop",
                f"{best_bare:.2f} s ({args.n / best_bare:,.0f} events/s)",
            ),
            (
                "checkpoint from scratch (chain checked)",
                f"{best_ours:.2f} s ({args.n / best_ours:,.0f} events/s)",
            ),
            (f"incremental, {args.more:,} events later", f"{step:.3f} s  (goal < 0.5 s)"),
            ("ratio (ours / baseline)", f"{ratio:.2f}  (goal <= 1.2)"),
        ]
    )
    result(
        "checkpoint",
        round(best_ours, 6),
        "s",
        round(best_bare, 6),
        round(ratio, 4),
        events=args.n,
        incremental_s=round(step, 4),
        more=args.more,
    )
    return 0
