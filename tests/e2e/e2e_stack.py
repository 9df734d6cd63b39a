"""The real parts, as separate processes: the service under uvicorn on a TCP port, the station agent as
`custody station run`, an SQLite database prepared with `custody db upgrade`, and the ledger read back
from that database. Every wait is on an event (a line a process printed, a row in a database) with a
generous deadline, never a fixed sleep.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from api.launcher import ServiceProcess
from custody.intake import FirearmIntake
from custody.model import Department, Role
from custody.records import Item
from custody.services import Custody
from custody.units import read_units

WAIT = 30.0
PYTHON = sys.executable
CUSTODY = str(Path(sys.executable).with_name("custody"))
UNIT = "220102"
CASE_NO = "长南公刑字〔2026〕E2E号"
STATION = "ng-desk-e2e"
DEVICES = ("scanner-1", "reader-1")


def environment(database_url: str | None = None, data_dir: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTODY_")}
    env["PYTHONUNBUFFERED"] = "1"
    if database_url:
        env["CUSTODY_DATABASE_URL"] = database_url
    if data_dir:
        env["CUSTODY_DATA_DIR"] = str(data_dir)
    return env


def deadline_wait(condition: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
    """Poll ``condition`` until it answers something true; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        answer = condition()
        if answer:
            return answer
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout:g} s")
        time.sleep(0.02)


@dataclass
class Bureau:
    """A database (an SQLite file unless a PostgreSQL URL is given) with the schema, the units, an
    administrator, a clerk, one open case with firearms in it, and a station of the clerk's unit with
    its key."""

    path: Path
    numbers: list[str]
    station_key: str
    items: list[Item] = field(default_factory=list)
    database_url: str | None = None

    @property
    def url(self) -> str:
        return self.database_url or f"sqlite:///{self.path}"

    def custody(self) -> Custody:
        return Custody.open(self.url)

    def sightings(self) -> list[dict[str, Any]]:
        """Every sighting in the ledger, in seq order, with its evidence number and payload."""
        query = text(
            "SELECT e.seq, i.evidence_no, e.station, e.device, e.payload FROM custody_events e "
            "JOIN items i ON i.id = e.item_id WHERE e.event_type = 'sighted' ORDER BY e.seq"
        )
        engine = create_engine(self.url, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                rows = conn.execute(query).all()
        finally:
            engine.dispose()
        return [
            {"seq": s, "evidence_no": n, "station": st, "device": d, **json.loads(p)}
            for s, n, st, d, p in rows
        ]

    def wait_for_sightings(self, count: int, timeout: float = WAIT) -> list[dict[str, Any]]:
        def enough() -> list[dict[str, Any]] | None:
            found = self.sightings()
            return found if len(found) >= count else None

        return deadline_wait(enough, f"{count} sightings in the ledger", timeout)


def prepare_bureau(directory: Path, firearms: int = 3, database_url: str | None = None) -> Bureau:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "custody.sqlite"
    url = database_url or f"sqlite:///{path}"
    done = subprocess.run(
        [CUSTODY, "db", "upgrade"],
        check=False,
        env=environment(url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    custody = Custody.open(url)
    try:
        custody.units.import_units(None, read_units())
        admin = custody.users.add("admin", "管理员", "220000", Department.OFFICE, {Role.ADMIN})
        clerk = custody.users.add("ng-clerk", "南关物证管理员", UNIT, Department.EVIDENCE_ROOM, {Role.CLERK})
        custody.cases.open(clerk, CASE_NO, "私制枪支案")
        intakes = [FirearmIntake("手枪", "54式", f"E2E-{n}", "7.62mm", True) for n in range(firearms)]
        items = [custody.items.register_firearm(clerk, CASE_NO, intake) for intake in intakes]
        _station, key = custody.stations.add(admin, STATION, UNIT, Department.EVIDENCE_ROOM, DEVICES)
    finally:
        custody.close()
    return Bureau(path, [item.evidence_no for item in items], key, items, database_url)


class OutputLog:
    """A child's output lines, read on a thread: waited for with a deadline, kept for failure reports."""

    def __init__(self, process: subprocess.Popen[str], parse_json: bool, stream: str = "stdout") -> None:
        self.process = process
        self._stream = getattr(process, stream)
        self.lines: list[str] = []
        self.records: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        self._parse_json = parse_json
        self._changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self._stream is not None
        for line in self._stream:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
            if self._parse_json and line.startswith("{"):
                self.records.put(json.loads(line))
        with self._changed:
            self._changed.notify_all()
        self.records.put(None)

    def wait_for_text(self, text: str, timeout: float = WAIT) -> None:
        with self._changed:
            found = self._changed.wait_for(
                lambda: any(text in line for line in self.lines) or self.process.poll() is not None, timeout
            )
            if not any(text in line for line in self.lines):
                ended = "ended" if found else f"not within {timeout:g} s"
                pytest.fail(f"{self.process.args}: no {text!r} ({ended}):\n" + "\n".join(self.lines[-40:]))

    def next(self, timeout: float = WAIT) -> dict[str, Any]:
        try:
            record = self.records.get(timeout=timeout)
        except queue.Empty:
            tail = "\n".join(self.lines[-40:])
            pytest.fail(
                f"no JSON line from {self.process.args} within {timeout:g} s; its last lines:\n{tail}"
            )
        if record is None:
            tail = "\n".join(self.lines[-40:])
            pytest.fail(f"{self.process.args} ended (status {self.process.wait()}):\n{tail}")
        self.seen.append(record)
        return record

    def until(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = WAIT) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            record = self.next(max(0.0, deadline - time.monotonic()))
            if predicate(record):
                return record

    def event(self, name: str, timeout: float = WAIT) -> dict[str, Any]:
        return self.until(lambda r: r.get("event") == name, timeout)


class Service:
    """The service, as a deployment runs it: ``python -m uvicorn api.serving:app --factory``, started
    by the service's own launcher; its output read as it comes."""

    def __init__(self, bureau: Bureau, port: int | None = None) -> None:
        self.bureau = bureau
        self.launcher = ServiceProcess(
            port=port or 0,
            env=environment(self.bureau.url),  # no CUSTODY_TRUSTED_PROXIES: no proxy believed
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self.process: subprocess.Popen[str] | None = None
        self.log: OutputLog | None = None

    @property
    def port(self) -> int:
        return self.launcher.port

    @property
    def url(self) -> str:
        return self.launcher.url

    def start(self) -> Service:
        """Start it (again on the same port after a stop) and return once it answers."""
        self.launcher.start(timeout=WAIT)
        self.process = self.launcher.process
        assert self.process is not None
        self.log = OutputLog(self.process, parse_json=False)
        self.log.wait_for_text("Application startup complete")
        return self

    def stop(self) -> bool:
        """SIGTERM, as a service manager stops it; True when it shut down cleanly (uvicorn re-raises
        the signal after its graceful shutdown, so the exit status is -SIGTERM either way)."""
        assert self.process is not None and self.log is not None
        self.launcher.stop(timeout=WAIT)
        self.log.wait_for_text("Finished server process")
        return any("Application shutdown complete" in line for line in self.log.lines)

    def pause(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.resume()
            self.stop()


def station_config(
    directory: Path,
    service_url: str,
    key: str,
    scanner: Path | None = None,
    reader: str | None = None,
) -> Path:
    lines = [
        "[service]",
        f'url = "{service_url}"',
        f'key = "{key}"',
        "timeout = 5",
        "retry_max = 0.5",
        "",
        "[outbox]",
        f'path = "{directory / "outbox.sqlite"}"',
    ]
    if scanner is not None:
        lines += ["", "[scanner]", f'url = "{scanner}"', "baud = 9600", 'device = "scanner-1"']
    if reader is not None:
        lines += ["", "[reader]", f'name = "{reader}"', 'device = "reader-1"']
    path = directory / "station.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class StationProcess:
    """`custody station run --config FILE` as a real process, its JSON lines read as they come."""

    def __init__(self, config: Path, separate_stderr: bool = False) -> None:
        self.config = config
        self.process = subprocess.Popen(
            [CUSTODY, "station", "run", "--config", str(config)],
            env=environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE if separate_stderr else subprocess.STDOUT,
            text=True,
        )
        self.log = OutputLog(self.process, parse_json=True)
        self.errors = OutputLog(self.process, parse_json=False, stream="stderr") if separate_stderr else None
        self.started = self.log.event("started")
        self.codes: dict[str, str] = {}
        """Idempotency key -> what was read (code or UID), from the agent's "queued" lines."""
        self.answers: dict[str, dict[str, Any]] = {}

    def _note(self, record: dict[str, Any]) -> None:
        if record.get("event") == "queued":
            self.codes[record["key"]] = record.get("code") or record.get("uid")
        elif record.get("event") in ("accepted", "refused"):
            self.answers[record["key"]] = record

    def next(self, timeout: float = WAIT) -> dict[str, Any]:
        record = self.log.next(timeout)
        self._note(record)
        return record

    def until(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = WAIT) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            record = self.next(max(0.0, deadline - time.monotonic()))
            if predicate(record):
                return record

    def reported(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = WAIT) -> dict[str, Any]:
        """A line matching ``predicate``, among those read already (a device thread may print before
        "started", which the constructor waits for) or the ones still to come."""
        for record in self.log.seen:
            if predicate(record):
                return record
        return self.until(predicate, timeout)

    def queued(self, count: int) -> list[str]:
        """Wait until ``count`` events in all are queued in the outbox (committed); their keys."""
        while len(self.codes) < count:
            self.next()
        return list(self.codes)

    def answered(self, count: int) -> dict[str, dict[str, Any]]:
        """Wait until ``count`` answers in all were printed."""
        while len(self.answers) < count:
            self.next()
        return self.answers

    def terminate(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(WAIT)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(WAIT)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(WAIT)


def outbox_rows(config_dir: Path) -> list[tuple[str, int, float | None]]:
    """(key, attempts, answered_at) of every event in a station's outbox."""
    with closing(sqlite3.connect(config_dir / "outbox.sqlite", timeout=10)) as con:
        return con.execute("SELECT idempotency_key, attempts, answered_at FROM outbox ORDER BY id").fetchall()


class CommandDesk:
    """The command line at the store's desk: `custody --as USER --password-stdin …` against the bureau,
    each second person's password on the next line of standard input."""

    def __init__(self, bureau: Bureau, tmp_path: Path, password: str) -> None:
        self.bureau = bureau
        self.env = environment(bureau.url, tmp_path / "data")
        self.password = password

    def run(self, user: str, *args: str, second_persons: int = 0) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [CUSTODY, "--as", user, "--password-stdin", *args],
            input=f"{self.password}\n" * (1 + second_persons),
            capture_output=True,
            text=True,
            env=self.env,
            timeout=WAIT * 2,
            check=False,
        )

    def act(self, user: str, *args: str, second_persons: int = 0) -> dict[str, Any]:
        """Run a command that must succeed; its last JSON line. Then the ledger must verify and replay."""
        done = self.run(user, *args, second_persons=second_persons)
        assert done.returncode == 0, f"{args}: {done.stderr}"
        answer: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
        self.ledger_is_sound()
        return answer

    def ledger_is_sound(self) -> None:
        verified = subprocess.run(
            [CUSTODY, "ledger", "verify"],
            check=False,
            capture_output=True,
            text=True,
            env=self.env,
            timeout=WAIT * 2,
        )
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert json.loads(verified.stdout.splitlines()[-1])["ok"] is True
        replayed = self.run("admin", "ledger", "replay")
        assert replayed.returncode == 0, replayed.stdout + replayed.stderr
        assert json.loads(replayed.stdout.splitlines()[-1])["differences"] == 0

    def head(self) -> str:
        done = subprocess.run(
            [CUSTODY, "ledger", "head"],
            check=False,
            capture_output=True,
            text=True,
            env=self.env,
            timeout=WAIT * 2,
        )
        assert done.returncode == 0, done.stderr
        return str(json.loads(done.stdout)["head"])


class SimulatedTag:
    """`custody sim tag` as a process: commands on its stdin, its JSON answers read as they come."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [CUSTODY, "sim", "tag", "--no-pcscd", "--slot", "0", "--off", *args],
            env=environment(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.log = OutputLog(self.process, parse_json=True)
        self.ready = self.log.event("ready")

    def command(self, line: str, answer: str) -> dict:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return self.log.event(answer)

    def close(self) -> None:
        if self.process.poll() is None:
            self.command("quit", "stopped")
            self.process.wait(30)


def bureau_on(request: pytest.FixtureRequest, directory: Path, backend: str, firearms: int = 3) -> Bureau:
    """:func:`prepare_bureau` on SQLite or on a new PostgreSQL database of the test server (dropped
    after the test)."""
    url = None
    if backend == "postgresql":
        server = request.getfixturevalue("postgres")
        name = server.create()
        request.addfinalizer(lambda: server.drop(name))
        url = server.database_url(name)
    return prepare_bureau(directory, firearms=firearms, database_url=url)
