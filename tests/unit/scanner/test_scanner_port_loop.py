"""The port loop, over scripted ports and pyserial's ``loop://``: connecting, losing the port,
reconnecting, trigger commands, stopping."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import serial

from devices.scanner import (
    Connected,
    DeviceError,
    Disconnected,
    Fault,
    Framing,
    PortSettings,
    Reconnected,
    Scan,
    ScannerNotConnected,
    ScannerSettingsError,
    SerialScanner,
    TriggerCommands,
)


class SteppingClock:
    """Every look at the clock is 0.1 s after the previous one: each read follows a pause."""

    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        self.now += 0.1
        return self.now

    def utc(self) -> datetime:
        return datetime(2026, 3, 2, 1, 30, tzinfo=UTC)


class ScriptedPort:
    """A port whose reads come from a script: bytes are read, exceptions are raised; past the end
    of the script it reads nothing and calls ``at_end`` (the test stops the scanner there)."""

    def __init__(self, script: list[bytes | Exception], at_end: Callable[[], None] = lambda: None) -> None:
        self.script = list(script)
        self.at_end = at_end
        self.buffer = b""
        self.written = b""
        self.closed = False

    @property
    def in_waiting(self) -> int:
        return len(self.buffer)

    def read(self, size: int) -> bytes:
        if not self.buffer:
            if not self.script:
                self.at_end()
                return b""
            step = self.script.pop(0)
            if isinstance(step, Exception):
                raise step
            self.buffer = step
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def write(self, data: bytes) -> int:
        self.written += data
        return len(data)

    def close(self) -> None:
        self.closed = True


SETTINGS = PortSettings("/dev/ttyUSB7", backoff_initial=0.001, backoff_max=0.004)


def scanner_over(
    *outcomes: list[bytes | Exception] | Exception, **options: object
) -> tuple[SerialScanner, list]:
    """A scanner whose opens answer scripted ports (a list: its script) or raise (an exception);
    it stops at the end of the last script."""
    ports: list[ScriptedPort] = []
    queue = list(outcomes)

    def open_port(settings: PortSettings) -> ScriptedPort:
        outcome = queue.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        ports.append(ScriptedPort(outcome, at_end=scanner.close if not queue else lambda: None))
        return ports[-1]

    scanner = SerialScanner(SETTINGS, clock=SteppingClock(), opener=open_port, **options)
    return scanner, ports


def test_scans_arrive_after_connected():
    scanner, ports = scanner_over([b"F220100202600012787\r", b"A220100202600012844\r"], device="desk-1")
    events = list(scanner.events())
    assert isinstance(events[0], Connected)
    assert (events[0].port, events[0].device) == ("/dev/ttyUSB7", "desk-1")
    assert [e.code for e in events[1:]] == ["F220100202600012787", "A220100202600012844"]
    assert ports[0].closed


def test_a_lost_port_reports_the_cut_frame_then_disconnected_then_reconnected():
    scanner, ports = scanner_over(
        [b"GOOD-1\rF2201", serial.SerialException("device reports readiness to read")],
        serial.SerialException("no such file"),
        OSError(2, "gone"),
        [b"GOOD-2\r"],
    )
    events = list(scanner.events())
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["Connected", "Scan", "DeviceError", "Disconnected", "Reconnected", "Scan"]
    assert (events[2].kind, events[2].raw) == (Fault.CUT_OFF, b"F2201")
    assert "readiness" in events[3].reason
    assert events[4].attempts == 3
    assert events[4].downtime > 0
    assert [e.code for e in events if isinstance(e, Scan)] == ["GOOD-1", "GOOD-2"]
    assert ports[0].closed
    assert scanner.reconnects == 1


def test_a_port_that_cannot_be_opened_is_reported_once_and_retried():
    failures = [serial.SerialException(f"attempt {n}") for n in range(5)]
    scanner, _ = scanner_over(*failures, [b"LATE-SCAN\r"])
    events = list(scanner.events())
    assert [type(e) for e in events] == [Disconnected, Reconnected, Scan]
    assert events[0].reason == "attempt 0"
    assert events[1].attempts == 6


def test_a_partial_frame_is_discarded_when_the_line_stays_idle():
    scanner, _ = scanner_over([b"F2201002026"], [])
    for event in scanner.events():
        if isinstance(event, DeviceError):
            break
    assert (event.kind, event.raw) == (Fault.IDLE_PARTIAL, b"F2201002026")


def test_trigger_commands_are_written_to_the_port():
    scanner, ports = scanner_over([], [])
    events = scanner.events()
    assert isinstance(next(events), Connected)
    scanner.trigger()
    scanner.untrigger()
    assert ports[0].written == b"\x16T\r\x16U\r"
    events.close()


def test_trigger_commands_are_configurable():
    scanner, ports = scanner_over([], [], trigger=TriggerCommands(start=b"\x1bT", stop=b"\x1bS"))
    events = scanner.events()
    next(events)
    scanner.trigger()
    assert ports[0].written == b"\x1bT"
    events.close()


def test_a_trigger_without_a_port_is_refused():
    scanner, _ = scanner_over()
    with pytest.raises(ScannerNotConnected):
        scanner.trigger()


def test_close_from_another_thread_stops_the_loop_and_closes_the_port():
    port = serial.serial_for_url("loop://", timeout=0.01)
    scanner = SerialScanner(PortSettings("loop://"), Framing(quiet_gap=0), opener=lambda settings: port)
    seen: list = []
    arrived = threading.Event()

    def on_event(event: object) -> None:
        seen.append(event)
        if isinstance(event, Scan):
            arrived.set()

    thread = scanner.start(on_event)
    port.write(b"LOOPED-CODE\r")
    assert arrived.wait(10)
    scanner.close()
    assert not thread.is_alive()
    assert not port.is_open
    assert [e.code for e in seen if isinstance(e, Scan)] == ["LOOPED-CODE"]


def test_a_pyserial_url_is_opened_as_configured():
    scanner = SerialScanner(PortSettings("loop://", baudrate=115200, parity="E", stopbits=2, bytesize=7))
    events = scanner.events()
    assert isinstance(next(events), Connected)
    port = scanner._port
    assert (port.baudrate, port.parity, port.stopbits, port.bytesize) == (115200, "E", 2, 7)
    events.close()
    assert scanner._port is None


@pytest.mark.parametrize(
    "settings",
    [
        {"baudrate": 0},
        {"bytesize": 9},
        {"parity": "X"},
        {"stopbits": 3},
        {"poll_interval": 0},
        {"backoff_initial": 3.0, "backoff_max": 2.0},
    ],
)
def test_port_settings_that_cannot_work_are_refused(settings):
    with pytest.raises(ScannerSettingsError):
        PortSettings("/dev/ttyS0", **settings)
