"""A barcode scanner on a real pseudo-terminal, behind a stable symlink, that misbehaves on request.

The driver opens the link like any serial port. Frames are written as a scanner sends them, one frame
a write, paced at the line rate (10 bits a byte) unless pacing is off. Two pty traps are handled
here: a fresh slave is put in raw mode at once (otherwise it echoes and turns CR into LF), and
nothing is written before a reader has opened the port, because pyserial's ``open()`` flushes the
input queue. The master runs in packet mode, so the simulator *sees* that flush (``TIOCPKT_FLUSHREAD``)
and waits a settling pause after it, as a clerk cannot scan the instant a port opens.

Unplugging waits until the reader has drained what was written (a pty's unread input dies with it),
then closes the pty and removes the link; replugging makes a new pty behind the same link.

Drained is not delivered: the reader's system call has the bytes, its application may not yet. A
reader such as pyserial's ``read(n)`` with a timeout gathers bytes over several system calls and drops
them if the port hangs up meanwhile. A real scanner never hangs up on its own, so after its last code
the simulator :meth:`linger` s: it keeps the port open until the reader closes it, or for a while.
"""

from __future__ import annotations

import fcntl
import os
import random
import select
import shutil
import tempfile
import termios
import threading
import time
import tty
from collections.abc import Iterable
from itertools import accumulate
from pathlib import Path

from simulators.scanner_faults import line_noise, misread_baud, with_noise

_FLUSHREAD = 0x01  # TIOCPKT_FLUSHREAD: the slave's input queue was flushed (a reader opened the port)


class ScannerSimulator:
    """One simulated scanner. ``open()`` it, start the reader, ``wait_for_reader()``, then scan."""

    def __init__(
        self,
        link: str | os.PathLike[str] | None = None,
        *,
        baud: int = 9600,
        paced: bool = True,
        prefix: bytes = b"",
        suffix: bytes = b"\r",
        settle: float = 0.2,
        seed: int = 0,
    ) -> None:
        self._own_dir = None if link else Path(tempfile.mkdtemp(prefix="custody-scanner-"))
        self.link = Path(link) if link else self._own_dir / "scanner"  # type: ignore[operator]
        self.baud, self.paced, self.prefix, self.suffix, self.settle = baud, paced, prefix, suffix, settle
        self.rng = random.Random(seed)
        self.received = bytearray()
        """Everything the reader wrote to the scanner (trigger commands), not yet consumed."""
        self._changed = threading.Condition()
        self._opens = self._opens_seen = 0
        self._master: int | None = None
        self._slave: int | None = None
        self._wake: tuple[int, int] | None = None
        self._listener: threading.Thread | None = None
        self._line_free_at = 0.0
        self._pty_name: str | None = None
        self.opened_at: float | None = None
        """When a reader last opened the port (monotonic), as seen by the simulator."""

    # -- the pty ---------------------------------------------------------------------------------

    def open(self) -> Path:
        """Plug the scanner in: a new pty, in raw mode, behind :attr:`link`."""
        master, slave = os.openpty()
        tty.setraw(slave)
        fcntl.ioctl(master, termios.TIOCPKT, b"\x01\x00\x00\x00")
        os.set_blocking(master, False)
        self._master, self._slave, self._wake = master, slave, os.pipe()
        self._pty_name = os.ttyname(slave)
        with self._changed:
            self._opens = self._opens_seen = 0
        temporary = self.link.with_name(f".{self.link.name}.{os.getpid()}")
        temporary.unlink(missing_ok=True)
        temporary.symlink_to(os.ttyname(slave))
        temporary.replace(self.link)
        self._listener = threading.Thread(target=self._listen, args=(master, self._wake[0]), daemon=True)
        self._listener.start()
        return self.link

    @property
    def device(self) -> str | None:
        """The pty behind the link now (``/dev/pts/N``), None while unplugged."""
        return self._pty_name if self._master is not None else None

    def _listen(self, master: int, wake: int) -> None:
        while True:
            ready, _, _ = select.select([master, wake], [], [])
            if wake in ready:
                return
            try:
                packet = os.read(master, 4096)
            except BlockingIOError:
                continue
            except OSError:
                return
            if not packet:
                return
            with self._changed:
                if packet[0] == 0:
                    self.received += packet[1:]
                elif packet[0] & _FLUSHREAD:
                    self._opens += 1
                    self.opened_at = time.monotonic()
                self._changed.notify_all()

    def wait_for_reader(self, timeout: float = 10.0) -> bool:
        """Wait until a reader opens the port (since plugging in, or since the last call), then settle."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._opens > self._opens_seen, timeout):
                return False
            self._opens_seen = self._opens
        time.sleep(self.settle)
        return True

    def wait_for_command(self, command: bytes, timeout: float = 10.0) -> bool:
        """Wait until the reader has sent ``command`` (e.g. a trigger); consume it."""
        with self._changed:
            if not self._changed.wait_for(lambda: command in self.received, timeout):
                return False
            at = self.received.find(command)
            del self.received[: at + len(command)]
            return True

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until the reader has read everything written (polling the slave flushes the pty's
        pending buffer into its input queue first, so "not readable" means nothing is left)."""
        deadline = time.monotonic() + timeout
        while self._slave is not None and select.select([self._slave], [], [], 0)[0]:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.001)
        return True

    def linger(self, seconds: float, drain_timeout: float = 10.0) -> bool:
        """After the last code: keep the port open until the reader has closed it, or ``seconds``
        have passed; True when the reader closed it. Until then the pty is up, whatever the reader
        gathers is its own to keep."""
        self.drain(drain_timeout)
        slave, self._slave = self._slave, None
        if slave is not None:
            os.close(slave)  # from now on the pty hangs up only when the reader closes its side
        listener = self._listener
        if listener is None:
            return False
        listener.join(seconds)  # the listener ends when reading the master fails: no slave is open
        return not listener.is_alive()

    def unplug(self, drain: bool = True) -> None:
        """Pull the cable: wait until the reader drained the pty (unless told not to), remove the
        link, close the pty."""
        if drain:
            self.drain()
        self.link.unlink(missing_ok=True)
        master, slave, wake, listener = self._master, self._slave, self._wake, self._listener
        self._master = self._slave = self._wake = self._listener = None
        if wake is not None:
            os.write(wake[1], b"x")
        if listener is not None:
            listener.join()
        for fd in (master, slave, *(wake or ())):
            if fd is not None:
                os.close(fd)

    def replug(self) -> Path:
        """Plug back in: a new pty (another ``/dev/pts/N``) behind the same link."""
        return self.open()

    def close(self) -> None:
        self.unplug(drain=False)
        if self._own_dir is not None:
            shutil.rmtree(self._own_dir, ignore_errors=True)

    def __enter__(self) -> ScannerSimulator:
        self.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------------------------

    def frame(self, code: str | bytes, aim: str = "") -> bytes:
        """The bytes a scanner sends for ``code``: prefix, AIM identifier, data, suffix."""
        data = code.encode() if isinstance(code, str) else code
        return self.prefix + aim.encode() + data + self.suffix

    def write(self, data: bytes, *, split: bool = False, line_time: float | None = None) -> None:
        """Write ``data`` when the line would have delivered it (byte by byte if ``split``)."""
        if split:
            for i in range(len(data)):
                self.write(data[i : i + 1])
            return
        if self.paced:
            now = time.monotonic()
            self._line_free_at = max(now, self._line_free_at) + (line_time or len(data) * 10 / self.baud)
            time.sleep(max(0.0, self._line_free_at - now))
        self._write_all(data)

    def idle(self, seconds: float) -> None:
        """Nobody scans for ``seconds``: the line stays quiet (as it does between two scans)."""
        self._line_free_at = max(time.monotonic(), self._line_free_at) + seconds
        time.sleep(max(0.0, self._line_free_at - time.monotonic()))

    def _write_all(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            if self._master is None:
                raise OSError("the simulated scanner is unplugged")
            try:
                view = view[os.write(self._master, view) :]
            except BlockingIOError:
                select.select([], [self._master], [], 1.0)

    def scan(self, code: str | bytes, *, aim: str = "", split: bool = False) -> bytes:
        """A clean scan of ``code``; answers the frame written."""
        frame = self.frame(code, aim)
        self.write(frame, split=split)
        return frame

    def scan_with_noise(self, code: str | bytes, *, aim: str = "", length: int = 3) -> bytes:
        """A scan hit by a noise burst of ``length`` bytes between prefix and suffix."""
        payload = self.frame(code, aim)[len(self.prefix) : -len(self.suffix)]
        frame = self.prefix + with_noise(payload, self.rng, length) + self.suffix
        self.write(frame)
        return frame

    def noise(self, length: int = 8) -> bytes:
        """A noise burst on an idle line (no frame end in it)."""
        burst = line_noise(self.rng, length)
        self.write(burst)
        return burst

    def scan_at_baud(self, code: str | bytes, sent_at: int, *, aim: str = "") -> bytes:
        """A scan sent at ``sent_at`` baud while the port reads at :attr:`baud`: what arrives is garbled."""
        frame = self.frame(code, aim)
        garbled = misread_baud(frame, sent_at, self.baud)
        self.write(garbled, line_time=len(frame) * 10 / sent_at)
        return garbled

    def burst(
        self, codes: Iterable[str | bytes], *, aim: str = "", frame_a_write: bool = True
    ) -> tuple[float, list[float]]:
        """Frames back to back: at the line rate if paced (catching up when late), else as fast as
        the kernel takes them, one frame a write or (``frame_a_write=False``) as many as a write
        takes. Answers the start time and, per frame, when its last byte was due on the line."""
        frames = [self.frame(code, aim) for code in codes]
        offsets = list(accumulate(len(frame) * 10 / self.baud for frame in frames))
        at_once = not (self.paced or frame_a_write)
        whole = b"".join(frames) if at_once else b""
        start = time.monotonic()  # everything is made: from here on the clock runs for the reader
        if at_once:
            self._write_all(whole)
            return start, [start + offset for offset in offsets]
        due = [start + offset for offset in offsets]
        for frame, frame_due in zip(frames, due, strict=True):
            delay = frame_due - time.monotonic()
            if self.paced and delay > 0:
                time.sleep(delay)
            self._write_all(frame)
        return start, due
