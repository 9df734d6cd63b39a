"""Helpers for the RFID tests through pcscd: event waiting, reader states, the custody command."""

from __future__ import annotations

import json
import queue
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import TypeVar

import pytest

from devices.rfid import PcscContext, TagEvent
from devices.rfid.pcsc import ReaderState

SLOT0, SLOT1 = "Virtual PCD 00 00", "Virtual PCD 00 01"
WAIT = 15.0

E = TypeVar("E")


class EventLog:
    """The events a monitor reported, taken one by one as a test waits for them."""

    def __init__(self) -> None:
        self.queue: queue.Queue[TagEvent] = queue.Queue()

    def put(self, event: TagEvent) -> None:
        self.queue.put(event)

    def next(self, timeout: float = WAIT) -> TagEvent:
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"no tag event within {timeout:g} s")

    def until(
        self, kind: type[E], reader: str | None = SLOT0, timeout: float = WAIT
    ) -> tuple[E, list[TagEvent]]:
        """The next event of ``kind`` (on ``reader``), and the events that came before it."""
        before: list[TagEvent] = []
        while True:
            event = self.next(timeout)
            if isinstance(event, kind) and (reader is None or getattr(event, "reader", None) == reader):
                return event, before
            before.append(event)

    def expect(self, kind: type[E], reader: str | None = SLOT0, timeout: float = WAIT) -> E:
        return self.until(kind, reader, timeout)[0]


def wait_until_empty(names: tuple[str, ...] = (SLOT0, SLOT1), timeout: float = WAIT) -> None:
    """Wait until pcscd reports no card on the readers (so the next test starts clean)."""
    with PcscContext() as context:
        states = [ReaderState(name, 0) for name in names]
        while True:
            changed = context.wait_for_change(states, timeout)
            if changed is None:
                pytest.fail(f"a virtual tag is still on {names} after {timeout:g} s")
            states = [state.settled() for state in changed]
            if not any(state.present or state.mute for state in states):
                return


def custody_command(*args: str) -> list[str]:
    """The ``custody`` command of this environment."""
    script = Path(sys.executable).with_name("custody")
    if script.exists():
        return [str(script), *args]
    found = shutil.which("custody")
    if found:
        return [found, *args]
    return [sys.executable, "-c", "from custody_cli.main import main; main()", *args]


class JsonLines:
    """The JSON lines a child process prints, read on a thread so that a test can wait with a bound."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: queue.Queue[dict[str, object] | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.strip():
                self.lines.put(json.loads(line))
        self.lines.put(None)

    def next(self, timeout: float = WAIT) -> dict[str, object]:
        try:
            record = self.lines.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"no JSON line from {self.process.args} within {timeout:g} s")
        if record is None:
            pytest.fail(f"{self.process.args} ended (status {self.process.wait()}) before the line awaited")
        return record

    def until(self, event: str, timeout: float = WAIT) -> dict[str, object]:
        while True:
            record = self.next(timeout)
            if record.get("event") == event:
                return record
