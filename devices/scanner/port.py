"""The port loop: one thread owns a pyserial port, feeds the frame parser, and survives the port.

Any pyserial URL works: a device path (``/dev/ttyUSB0``, ``/dev/pts/7``, a stable symlink to one),
``socket://host:port`` for a scanner behind a serial server, ``loop://`` in tests. When the port goes
away (cable pulled, serial server gone) the loop reports :class:`Disconnected`, discards the partial
frame it held (every complete frame read before the cut has already been delivered), and reopens the
URL with exponential backoff; a symlink is resolved anew on each attempt, so a device that comes back
under another name behind the same link is found. It then reports :class:`Reconnected`.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import serial

from devices.scanner.errors import ScannerNotConnected, ScannerSettingsError
from devices.scanner.events import Connected, Disconnected, Reconnected, ScannerEvent
from devices.scanner.frames import FrameParser, Framing


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def utc(self) -> datetime: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def utc(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class PortSettings:
    """Where the scanner is and how its line is set; how often to look and how to retry."""

    url: str
    baudrate: int = 9600
    bytesize: int = 8
    parity: str = "N"
    stopbits: float = 1
    poll_interval: float = 0.05
    """Longest wait for bytes before idle partial frames and a stop request are looked at."""
    backoff_initial: float = 0.05
    backoff_max: float = 2.0

    def __post_init__(self) -> None:
        if self.baudrate <= 0:
            raise ScannerSettingsError(f"baud rate must be positive, got {self.baudrate}")
        if self.bytesize not in (5, 6, 7, 8):
            raise ScannerSettingsError(f"byte size must be 5 to 8 bits, got {self.bytesize}")
        if self.parity not in serial.PARITY_NAMES:
            names = "".join(serial.PARITY_NAMES)
            raise ScannerSettingsError(f"parity must be one of {names}, got {self.parity!r}")
        if self.stopbits not in (1, 1.5, 2):
            raise ScannerSettingsError(f"stop bits must be 1, 1.5 or 2, got {self.stopbits}")
        if not 0 < self.poll_interval <= 1 or not 0 < self.backoff_initial <= self.backoff_max:
            raise ScannerSettingsError("need 0 < poll_interval <= 1 and 0 < backoff_initial <= backoff_max")


@dataclass(frozen=True, slots=True)
class TriggerCommands:
    """Serial trigger commands of host-triggered scanners; Honeywell's ``SYN T CR`` / ``SYN U CR``."""

    start: bytes = b"\x16T\r"
    stop: bytes = b"\x16U\r"


def open_serial(settings: PortSettings) -> serial.SerialBase:
    """Open ``settings.url`` with pyserial (reads time out after the poll interval)."""
    return serial.serial_for_url(
        settings.url,
        baudrate=settings.baudrate,
        bytesize=settings.bytesize,
        parity=settings.parity,
        stopbits=settings.stopbits,
        timeout=settings.poll_interval,
    )


_PORT_FAILURES = (serial.SerialException, OSError)


def _in_waiting(port: serial.SerialBase) -> int:
    """Bytes waiting to be read: every pyserial port class has ``in_waiting``; their common base,
    which the stubs describe, does not declare it."""
    return int(port.in_waiting)  # type: ignore[attr-defined]


class SerialScanner:
    """A barcode scanner on a serial port, delivering :data:`ScannerEvent` s.

    Use :meth:`events` to iterate in the calling thread, :meth:`run` with a callback, or
    :meth:`start` for a background thread; :meth:`close` (from any thread) stops all three.
    """

    def __init__(
        self,
        settings: PortSettings,
        framing: Framing | None = None,
        *,
        device: str | None = None,
        trigger: TriggerCommands | None = None,
        clock: Clock | None = None,
        opener: Callable[[PortSettings], serial.SerialBase] = open_serial,
    ) -> None:
        self.settings = settings
        self.device = device or settings.url
        self.parser = FrameParser(framing, self.device)
        self.trigger_commands = trigger or TriggerCommands()
        self.reconnects = 0
        self._clock = clock or SystemClock()
        self._opener = opener
        self._port: serial.SerialBase | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._down_since: float | None = None
        self._thread: threading.Thread | None = None
        self._wake: tuple[int, int] | None = None  # a pipe that close() writes to, to end a wait

    # -- consuming -------------------------------------------------------------------------------

    def events(self) -> Iterator[ScannerEvent]:
        """Open the port and yield events until :meth:`close`; the port is closed on the way out."""
        for batch in self.batches():
            yield from batch

    def batches(self) -> Iterator[list[ScannerEvent]]:
        """Like :meth:`events`, but a list at a time: the events completed by one read (a burst
        brings hundreds of scans in one read, and a list costs less to hand over than each one)."""
        clock, parser = self._clock, self.parser
        quiet_until = float("-inf")
        with self._lock:
            self._wake = os.pipe()
        try:
            while not self._stop.is_set():
                port = self._port
                if port is None:
                    for event in self._connect():
                        yield [event]
                    continue
                try:
                    data, seen_quiet = self._read(port)
                except _PORT_FAILURES as error:
                    yield list(self._lost(error))
                    continue
                if seen_quiet is not None:
                    quiet_until = seen_quiet
                if data:
                    events = parser.feed(data, clock.monotonic(), clock.utc(), quiet_until=quiet_until)
                else:
                    deadline = parser.deadline()
                    if deadline is None or quiet_until < deadline:
                        continue
                    events = parser.expire(quiet_until, clock.utc())
                if events:
                    yield events
        finally:
            self._close_port()
            with self._lock:
                wake, self._wake = self._wake, None
            for fd in wake or ():
                os.close(fd)

    def _read(self, port: serial.SerialBase) -> tuple[bytes, float | None]:
        """What the port has, and the time it was last seen with nothing waiting (None if it was
        not). The time is taken before looking: if nothing is waiting, nothing arrived before it,
        however late this thread got to run."""
        fd = getattr(port, "fd", None) if isinstance(port, serial.Serial) and os.name == "posix" else None
        if fd is None:
            looked_at = self._clock.monotonic()
            waiting = _in_waiting(port)
            if waiting:
                return port.read(waiting), None
            data = port.read(1)
            if data and (waiting := _in_waiting(port)):
                data += port.read(waiting)
            return data, looked_at
        # A POSIX serial port: read its descriptor straight away (one system call a chunk, where
        # pyserial's read() makes several), every chunk queued (see drain). pyserial sets it
        # non-blocking with VMIN = VTIME = 0, so an empty port reads as nothing; then wait until it
        # is readable, or close() wakes us.
        looked_at = self._clock.monotonic()
        data = drain(fd)
        if data:
            return data, None
        assert self._wake is not None
        ready, _, _ = select.select([fd, self._wake[0]], [], [], self.settings.poll_interval)
        if fd in ready:
            data = drain(fd)
            if not data:
                raise serial.SerialException("the port is readable but gives no data (device disconnected?)")
        return data, looked_at

    def run(self, on_event: Callable[[ScannerEvent], None]) -> None:
        """Call ``on_event`` for every event until :meth:`close`."""
        for event in self.events():
            on_event(event)

    def start(self, on_event: Callable[[ScannerEvent], None]) -> threading.Thread:
        """Run the loop in a daemon thread; ``on_event`` is called from that thread."""
        name = f"scanner {self.device}"
        self._thread = threading.Thread(target=self.run, args=(on_event,), name=name, daemon=True)
        self._thread.start()
        return self._thread

    def close(self, timeout: float | None = 5.0) -> None:
        """Stop the loop (from any thread) and, if :meth:`start` ran it, wait for its thread."""
        self._stop.set()
        with self._lock:
            if self._wake is not None:
                os.write(self._wake[1], b"x")
            if self._port is not None and hasattr(self._port, "cancel_read"):
                self._port.cancel_read()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def __enter__(self) -> SerialScanner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- commands --------------------------------------------------------------------------------

    def trigger(self) -> None:
        """Send the trigger command: a host-triggered scanner starts reading."""
        self._send(self.trigger_commands.start)

    def untrigger(self) -> None:
        """Send the untrigger command: the scanner stops reading."""
        self._send(self.trigger_commands.stop)

    def _send(self, command: bytes) -> None:
        with self._lock:
            port = self._port
            if port is None:
                raise ScannerNotConnected(f"{self.settings.url} is not connected")
            try:
                port.write(command)
            except _PORT_FAILURES as error:
                raise ScannerNotConnected(f"{self.settings.url}: {error}") from error

    # -- the port --------------------------------------------------------------------------------

    def _connect(self) -> Iterator[ScannerEvent]:
        clock, settings = self._clock, self.settings
        delay, attempts = settings.backoff_initial, 0
        while not self._stop.is_set():
            attempts += 1
            try:
                port = self._opener(settings)
            except (*_PORT_FAILURES, ValueError) as error:
                if self._down_since is None:
                    self._down_since = now = clock.monotonic()
                    yield Disconnected(settings.url, _reason(error), self.device, now, clock.utc())
                self._stop.wait(delay)
                delay = min(delay * 2, settings.backoff_max)
                continue
            with self._lock:
                self._port = port
            now = clock.monotonic()
            self.parser.opened(now)
            if self._down_since is None:
                yield Connected(settings.url, self.device, now, clock.utc())
            else:
                self.reconnects += 1
                downtime, self._down_since = now - self._down_since, None
                yield Reconnected(settings.url, attempts, downtime, self.device, now, clock.utc())
            return

    def _lost(self, error: BaseException) -> Iterator[ScannerEvent]:
        clock = self._clock
        now = clock.monotonic()
        self._close_port()
        self._down_since = now
        yield from self.parser.cut(now, clock.utc())
        yield Disconnected(self.settings.url, _reason(error), self.device, now, clock.utc())

    def _close_port(self) -> None:
        with self._lock:
            port, self._port = self._port, None
        if port is not None:
            with contextlib.suppress(*_PORT_FAILURES):  # a port already gone: closing it only tidies up
                port.close()


_GULP = 65536
"""Most bytes one :meth:`SerialScanner._read` takes before they are parsed."""


def _read_now(fd: int) -> bytes:
    try:
        return os.read(fd, _GULP)
    except BlockingIOError:
        return b""


def drain(fd: int) -> bytes:
    """What the port has now, up to :data:`_GULP` bytes. A tty hands over at most its line buffer
    (4 KiB) a read while more may wait behind it; reading on until the port is empty, before any of it
    is parsed, lets the kernel refill that buffer during the parse instead of after it."""
    data = _read_now(fd)
    if not data:
        return data
    chunks, size = [data], len(data)
    while size < _GULP:
        try:
            more = _read_now(fd)
        except OSError:
            break  # the port went away: deliver what it gave first; the next read fails again
        if not more:
            break
        chunks.append(more)
        size += len(more)
    return b"".join(chunks) if len(chunks) > 1 else data


def _reason(error: BaseException) -> str:
    return str(error) or type(error).__name__
