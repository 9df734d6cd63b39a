"""A virtual NFC tag behind vpcd, so that pyscard talks to a real pcscd as it would to a real reader.

The vsmartcard ``vpcd`` driver, loaded by pcscd, listens on TCP 35963 (slot 0) and 35964 (slot 1); a
virtual card *is* a TCP client of that port. Frames are a 2-byte big-endian length and a payload; a
1-byte payload is a control message (0 power off, 1 power on, 2 reset: no answer; 4 get ATR: the ATR
at once), anything longer is an APDU that gets its response. vpcd polls each slot about every 0.4 s
(asking for the ATR), so a tag is seen that long after it connects and found gone after it closes.

Each receive re-arms ``TCP_QUICKACK`` and the socket sets ``TCP_NODELAY``: without them Nagle's
algorithm meets delayed ACKs and every APDU costs about 48 ms.

Misbehaviour on request: leave mid-read or mid-write (the APDU in flight is never answered, which vpcd
turns into a success with zero bytes), open the tamper loop, stay silent to GET_VERSION, be a generic
reader without direct transmit. When the link drops under it (pcscd stopped) a present tag dials
again until vpcd is back, as a real tag left lying on a reader would be seen again.
"""

from __future__ import annotations

import contextlib
import random
import socket
import struct
import threading
import time

from simulators.tag_memory import MODELS, TagMemory
from simulators.tag_reader import ReaderFamily, ReaderFirmware, is_read_binary, is_update_binary

VPCD_HOST = "127.0.0.1"
VPCD_PORTS = (35963, 35964)
_POWER_OFF, _POWER_ON, _RESET, _GET_ATR = 0, 1, 2, 4
_REDIAL_INTERVAL = 0.1


def random_uid(kind: str, rng: random.Random | None = None) -> bytes:
    """A UID as the model would have: 7 bytes starting with NXP's 04, or 4 bytes for MIFARE Classic."""
    rng = rng or random.Random()
    model = MODELS[kind]
    if model.uid_length == 7:
        return b"\x04" + rng.randbytes(6)
    return rng.randbytes(4)


class VirtualTag:
    """One simulated tag on one vpcd slot. Thread-safe; scripted events may be called from any thread.

    ``polled`` is set once vpcd has noticed the tag after :meth:`present`; ``left`` is set whenever
    the tag is out of the field (removed by script, or cut off mid-exchange).
    """

    def __init__(
        self,
        kind: str = "ntag215",
        *,
        uid: bytes | None = None,
        text: str | None = None,
        locked: bool = False,
        reader: ReaderFamily = "acr122u",
        answers_get_version: bool = True,
        host: str = VPCD_HOST,
        port: int = VPCD_PORTS[0],
    ) -> None:
        if kind not in MODELS:
            raise ValueError(f"unknown tag type {kind!r}; known: {', '.join(MODELS)}")
        self.kind = kind
        self.tag = TagMemory(MODELS[kind], uid if uid is not None else random_uid(kind))
        self.tag.answers_get_version = answers_get_version
        if text is not None:
            self.tag.store_text(text)
        if locked:
            self.tag.lock_permanently()
        self.firmware = ReaderFirmware(self.tag, reader)
        self.host, self.port = host, port
        self.polled = threading.Event()
        self.left = threading.Event()
        self.left.set()
        self.apdu_count = 0
        self._lock = threading.RLock()
        self._present = False
        self._session = 0  # each presence has its own link thread; an old one never dials again
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._cut_reads: int | None = None
        self._cut_writes: int | None = None

    @property
    def uid(self) -> bytes:
        return self.tag.uid

    @property
    def present(self) -> bool:
        return self._present

    # -- scripted events

    def put_on_reader(self) -> float:
        """Present the tag to the reader; returns the monotonic time it connected to vpcd."""
        with self._lock:
            if self._present:
                return time.monotonic()
            self._present = True
            self._session += 1
            self.polled.clear()
            self.left.clear()
            at = time.monotonic()
            self._thread = threading.Thread(
                target=self._run, args=(self._session,), name=f"virtual-tag-{self.port}", daemon=True
            )
            self._thread.start()
            return at

    def take_off_reader(self) -> float:
        """Take the tag away; returns the monotonic time the link was closed."""
        with self._lock:
            self._present = False
            self._hang_up()
            thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(5)
        self.left.set()
        return time.monotonic()

    def leave_during_read(self, after: int = 0) -> None:
        """Leave the field at a READ BINARY: ``after`` more reads are answered, the next one is not."""
        with self._lock:
            self._cut_reads = after

    def leave_during_write(self, after: int = 0) -> None:
        """Leave the field at an UPDATE BINARY: ``after`` more writes are done, the next one is not."""
        with self._lock:
            self._cut_writes = after

    def open_tamper_loop(self, repower: bool = True) -> None:
        """Cut the tamper loop (a broken seal). The tag measures it at power-up, so by default a present
        tag is taken off and put back, as when a seal is cut away from the reader and then audited."""
        with self._lock:
            self.tag.loop_open = True
            present = self._present
        if present and repower:
            self.take_off_reader()
            self.put_on_reader()

    def close_tamper_loop(self) -> None:
        with self._lock:
            self.tag.loop_open = False

    def close(self) -> None:
        self.take_off_reader()

    def __enter__(self) -> VirtualTag:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the link to vpcd

    def _wanted(self, session: int) -> bool:
        return self._present and self._session == session

    def _run(self, session: int) -> None:
        while self._wanted(session):
            try:
                link = socket.create_connection((self.host, self.port), timeout=2)
            except OSError:
                time.sleep(_REDIAL_INTERVAL)  # vpcd not listening (pcscd stopped): dial again
                continue
            with self._lock:
                if not self._wanted(session):
                    link.close()
                    return
                link.settimeout(None)
                link.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self._socket = link
            try:
                self._serve(link)
            except OSError:
                pass  # the link dropped under us; dial again while the tag is meant to be present
            finally:
                with self._lock:
                    if self._socket is link:
                        self._hang_up()

    def _serve(self, link: socket.socket) -> None:
        while True:
            (length,) = struct.unpack(">H", _receive(link, 2))
            message = _receive(link, length)
            if length == 1:
                answer = self._control(message[0])
            else:
                answer = self._apdu(message)
                if answer is None:
                    self._leave_now()
                    return
            if answer is not None:
                link.sendall(struct.pack(">H", len(answer)) + answer)

    def _control(self, code: int) -> bytes | None:
        if code == _GET_ATR:
            self.polled.set()
            return self.firmware.atr
        if code in (_POWER_ON, _RESET):
            with self._lock:
                self.tag.power_up()
        return None

    def _apdu(self, apdu: bytes) -> bytes | None:
        with self._lock:
            self.apdu_count += 1
            if is_read_binary(apdu) and self._cut_reads is not None:
                if self._cut_reads == 0:
                    self._cut_reads = None
                    return None
                self._cut_reads -= 1
            if is_update_binary(apdu) and self._cut_writes is not None:
                if self._cut_writes == 0:
                    self._cut_writes = None
                    return None
                self._cut_writes -= 1
            return self.firmware.respond(apdu)

    def _leave_now(self) -> None:
        with self._lock:
            self._present = False
            self._hang_up()
        self.left.set()

    def _hang_up(self) -> None:
        link, self._socket = self._socket, None
        if link is not None:
            with contextlib.suppress(OSError):
                link.shutdown(socket.SHUT_RDWR)
            link.close()


def _receive(link: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        link.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        chunk = link.recv(size - len(data))
        if not chunk:
            raise ConnectionResetError("vpcd closed the link")
        data += chunk
    return data
