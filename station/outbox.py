"""A local SQLite outbox: device events wait here until the service has answered them.

Each event is stored once under its idempotency key (derived from the device event) before any delivery is
tried; a delivery retried after an outage or a restart sends the same key, so the service records it once.
An event leaves the queue only with the service's answer, accepted or refused.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    queued_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    answered_at REAL,
    status INTEGER,
    answer TEXT
)
"""


@dataclass(frozen=True)
class Pending:
    id: int
    idempotency_key: str
    body: dict[str, Any]
    attempts: int


class Outbox:
    """Thread-safe; every write is committed with ``synchronous=FULL`` before it returns."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._con = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._con.execute("PRAGMA journal_mode = WAL")
        self._con.execute("PRAGMA synchronous = FULL")
        self._con.execute(_SCHEMA)
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)

    def close(self) -> None:
        with self._lock:
            self._con.close()

    def put(self, idempotency_key: str, body: dict[str, Any]) -> bool:
        """Queue an event; False when its key is queued or answered already (nothing is doubled)."""
        with self._arrived:
            cursor = self._con.execute(
                "INSERT OR IGNORE INTO outbox (idempotency_key, body, queued_at) VALUES (?, ?, ?)",
                (idempotency_key, json.dumps(body, ensure_ascii=False, sort_keys=True), time.time()),
            )
            added = cursor.rowcount == 1
            if added:
                self._arrived.notify_all()
            return added

    def wait(self, timeout: float, skip_devices: frozenset[str] = frozenset()) -> Pending | None:
        """The oldest unanswered event (of a device not in ``skip_devices``), waiting up to
        ``timeout`` seconds for one."""
        deadline = time.monotonic() + timeout
        skipped = sorted(skip_devices)
        query = "SELECT id, idempotency_key, body, attempts FROM outbox WHERE answered_at IS NULL "
        if skipped:
            marks = ", ".join("?" * len(skipped))
            query += f"AND json_extract(body, '$.device') NOT IN ({marks}) "
        query += "ORDER BY id LIMIT 1"
        with self._arrived:
            while True:
                row = self._con.execute(query, skipped).fetchone()
                if row is not None:
                    return Pending(row[0], row[1], json.loads(row[2]), row[3])
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._arrived.wait(remaining)

    def gather(
        self, first: Pending, limit: int, within: float, skip_devices: frozenset[str] = frozenset()
    ) -> list[Pending]:
        """``first`` and the unanswered events queued after it (of devices not in ``skip_devices``), up
        to ``limit`` in all, waiting up to ``within`` seconds for more to arrive (a sweep of reads goes
        in one batch; a lone scan waits no longer than that)."""
        deadline = time.monotonic() + within
        skipped = sorted(skip_devices)
        query = "SELECT id, idempotency_key, body, attempts FROM outbox WHERE answered_at IS NULL AND id > ? "
        if skipped:
            marks = ", ".join("?" * len(skipped))
            query += f"AND json_extract(body, '$.device') NOT IN ({marks}) "
        query += "ORDER BY id LIMIT ?"
        with self._arrived:
            while True:
                rows = self._con.execute(query, [first.id, *skipped, limit - 1]).fetchall()
                remaining = deadline - time.monotonic()
                if len(rows) >= limit - 1 or remaining <= 0:
                    return [first, *(Pending(r[0], r[1], json.loads(r[2]), r[3]) for r in rows)]
                self._arrived.wait(remaining)

    def attempted(self, event_id: int) -> None:
        with self._lock:
            self._con.execute("UPDATE outbox SET attempts = attempts + 1 WHERE id = ?", (event_id,))

    def answered(self, event_id: int, status: int, answer: dict[str, Any]) -> None:
        with self._lock:
            self._con.execute(
                "UPDATE outbox SET answered_at = ?, status = ?, answer = ? WHERE id = ?",
                (time.time(), status, json.dumps(answer, ensure_ascii=False), event_id),
            )

    def refusals(self) -> list[tuple[int, int, dict[str, Any]]]:
        """(id, status, answer) of every event answered with a refusal (status 400 and above)."""
        with self._lock:
            rows = self._con.execute(
                "SELECT id, status, answer FROM outbox WHERE answered_at IS NOT NULL AND status >= 400 "
                "ORDER BY id"
            ).fetchall()
        found = []
        for event_id, status, answer in rows:
            try:
                decoded = json.loads(answer) if answer else {}
            except ValueError:
                decoded = {}
            found.append((event_id, status, decoded if isinstance(decoded, dict) else {}))
        return found

    def reopen(self, event_ids: list[int]) -> int:
        """Put answered events back in the queue (in their original order); how many were reopened."""
        with self._arrived:
            reopened = 0
            self._con.execute("BEGIN IMMEDIATE")  # one transaction: all reopened, or none
            try:
                for event_id in event_ids:
                    reopened += self._con.execute(
                        "UPDATE outbox SET answered_at = NULL, status = NULL, answer = NULL "
                        "WHERE id = ? AND answered_at IS NOT NULL",
                        (event_id,),
                    ).rowcount
            except BaseException:
                self._con.execute("ROLLBACK")
                raise
            self._con.execute("COMMIT")
            if reopened:
                self._arrived.notify_all()
            return reopened

    def counts(self) -> dict[str, int]:
        with self._lock:
            pending, answered = self._con.execute(
                "SELECT COALESCE(SUM(answered_at IS NULL), 0), COALESCE(SUM(answered_at IS NOT NULL), 0) "
                "FROM outbox"
            ).fetchone()
        return {"pending": int(pending), "answered": int(answered)}
