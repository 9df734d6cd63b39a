"""Helpers for the scanner driver's tests through real pseudo-terminals: an event log to wait on."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import IO, Any

from devices.scanner import DeviceError, Fault, Framing, Scan, ScannerEvent

WAIT = 30.0  # seconds: a bound for waits on events, never a pause


class EventLog:
    """Events of one driver, in order, with waits on what they say."""

    def __init__(self) -> None:
        self.events: list[ScannerEvent] = []
        self._changed = threading.Condition()

    def append(self, event: ScannerEvent) -> None:
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def wait_for(self, predicate: Callable[[list[ScannerEvent]], bool], what: str) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: predicate(self.events), WAIT):
                raise AssertionError(f"gave up waiting for {what}; events: {self.events[-10:]}")

    def wait_for_scans(self, count: int) -> list[Scan]:
        self.wait_for(lambda events: len(self.scans) >= count, f"{count} scans")
        return self.scans

    def wait_for_error(self, *kinds: Fault) -> DeviceError:
        self.wait_for(lambda events: any(e.kind in kinds for e in self.errors), f"an error in {kinds}")
        return next(e for e in self.errors if e.kind in kinds)

    def wait_for_event(self, kind: type, after: int = 0) -> ScannerEvent:
        self.wait_for(lambda events: any(isinstance(e, kind) for e in events[after:]), kind.__name__)
        return next(e for e in self.events[after:] if isinstance(e, kind))

    @property
    def scans(self) -> list[Scan]:
        return [e for e in self.events if isinstance(e, Scan)]

    @property
    def codes(self) -> list[str]:
        return [e.code for e in self.scans]

    @property
    def errors(self) -> list[DeviceError]:
        return [e for e in self.events if isinstance(e, DeviceError)]


TEST_FRAMING = Framing(idle_timeout=0.2)
"""Partial frames idle for 0.2 s are dropped, so tests need not wait the default half second."""


class OutputLines:
    """The JSON lines a command prints, read in a thread of their own so that tests can wait on them."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()

    @property
    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines]

    def wait_for(self, count: int, what: str = "lines") -> list[str]:
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.lines) >= count, WAIT):
                raise AssertionError(f"gave up waiting for {count} {what}; got {self.lines}")
            return list(self.lines)
