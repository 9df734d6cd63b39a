"""Framing: bytes in, scans and device errors out.

:class:`FrameParser` is a pure object. It is fed the bytes a port read returned with the time they
were read, and answers with the events they complete; it never blocks, never touches a port and never
raises for what is on the line. The port loop (:mod:`devices.scanner.port`) drives it.

What it guarantees, whatever the line does:

* a scan is one complete frame: it starts at a frame boundary (the start of the stream, a frame end,
  or a pause of at least the idle timeout) and ends at the suffix, every byte of it lies in the
  character set, its length is within bounds, and its AIM identifier and GS1 data (when enabled)
  parse; every such frame is delivered exactly once;
* the frame that follows a rejected frame without a pause of ``quiet_gap`` is rejected too
  (``unsynchronised``): noise may have put a false frame end into the rejected frame, and what
  follows it may be that frame's tail. Only that one frame is withheld: it ends at a frame end,
  after which frames are in step again. With AIM identifiers none is withheld: a frame end followed
  by a valid AIM identifier is a known frame start. So a batch of thousands of frames sent back to
  back loses only its noisy frames (and, without AIM, the one after each);
* the first frame after the port opens is rejected (``unsynchronised``) unless a pause came first,
  AIM identifier or not: the port may have opened in the middle of a frame, and no frame end before
  it says where it starts;
* a partial frame idle past ``idle_timeout``, or pending when the port is lost, is discarded and
  reported, never joined to what comes next.

Frames that a burst delivers in bulk are checked in bulk (one pass over the bytes in C) and fall back
to one-by-one checking as soon as anything is wrong, so the fast path can only ever agree with the
slow one.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from itertools import repeat

from devices.scanner.aim import split_aim
from devices.scanner.errors import Fault, Gs1Error, ScannerSettingsError
from devices.scanner.events import DeviceError, Scan, ScannerEvent, Stamp
from devices.scanner.gs1 import parse_element_string

PRINTABLE_ASCII = bytes(range(0x20, 0x7F))
GS = b"\x1d"
DEFAULT_CHARSET = PRINTABLE_ASCII + GS
"""Printable ASCII, and GS (0x1D) for the FNC1 separators of GS1 data."""

TERMINATORS: dict[str, bytes] = {
    "CR": b"\r",
    "LF": b"\n",
    "CRLF": b"\r\n",
    "TAB": b"\t",
    "STX": b"\x02",
    "ETX": b"\x03",
}
"""Names accepted by :func:`terminator` (case-insensitive)."""

_LINE_ENDS = re.compile(rb"\r\n|\r|\n")


def terminator(spec: str) -> bytes:
    """Bytes for a prefix or suffix given by name (``CR``, ``LF``, ``CRLF``, ``TAB``, ``STX``,
    ``ETX``) or in hex (``0D0A``, ``0x03``, ``03 0D``)."""
    named = TERMINATORS.get(spec.strip().upper())
    if named is not None:
        return named
    digits = spec.strip().lower().removeprefix("0x").replace(" ", "")
    try:
        value = bytes.fromhex(digits)
    except ValueError:
        value = b""
    if not value:
        names = ", ".join(TERMINATORS)
        raise ScannerSettingsError(f"not a terminator: {spec!r} (use {names} or hex bytes such as 0D0A)")
    return value


@dataclass(frozen=True, slots=True)
class Framing:
    """How frames look on the line, and what the parser accepts.

    ``suffix`` None means a frame ends at CR, LF or CRLF, as most scanners ship. ``min_length`` and
    ``max_length`` count the bytes between prefix and suffix (AIM identifier included). A
    ``duplicate_window`` above zero suppresses the same code (same symbology) seen again within that
    many seconds of its delivery, as a scanner's "reread delay" does.
    """

    prefix: bytes = b""
    suffix: bytes | None = None
    aim: bool = False
    charset: bytes = DEFAULT_CHARSET
    min_length: int = 4
    max_length: int = 512
    idle_timeout: float = 0.5
    quiet_gap: float = 0.05
    duplicate_window: float = 0.0

    def __post_init__(self) -> None:
        if self.suffix is not None and not self.suffix:
            raise ScannerSettingsError("suffix must be None (CR, LF or CRLF) or at least one byte")
        if not self.charset:
            raise ScannerSettingsError("charset is empty")
        frame_ends = self.suffix if self.suffix is not None else b"\r\n"
        if any(byte in self.charset for byte in frame_ends):
            raise ScannerSettingsError(f"suffix {frame_ends!r} overlaps the character set")
        if any(byte in self.prefix for byte in frame_ends):
            raise ScannerSettingsError(f"prefix {self.prefix!r} holds a byte that ends frames")
        if not 1 <= self.min_length <= self.max_length:
            raise ScannerSettingsError("need 1 <= min_length <= max_length")
        if self.idle_timeout <= 0:
            raise ScannerSettingsError("idle_timeout must be positive")
        if not 0 <= self.quiet_gap <= self.idle_timeout:
            raise ScannerSettingsError("need 0 <= quiet_gap <= idle_timeout")
        if self.duplicate_window < 0:
            raise ScannerSettingsError("duplicate_window must not be negative")


@dataclass(slots=True)
class ParserStats:
    """Counters since the parser was made."""

    bytes: int = 0
    scans: int = 0
    duplicates: int = 0
    rejected: Counter[Fault] = field(default_factory=Counter)


class FrameParser:
    """Turns the bytes of one scanner into :class:`Scan` and :class:`DeviceError` events."""

    def __init__(self, framing: Framing | None = None, device: str = "scanner", *, bulk: bool = True) -> None:
        """``bulk`` checks the frames of a burst together when it can; turning it off (to compare)
        changes nothing but speed."""
        self.framing = framing = framing or Framing()
        self.device = device
        self.stats = ParserStats()
        self._charset = framing.charset
        self._ascii = framing.charset.isascii()
        self._limit = len(framing.prefix) + framing.max_length + len(framing.suffix or b"\r") - 1
        self._bulk = bulk and not (framing.prefix or framing.aim or framing.duplicate_window)
        self._charset_and_ends = framing.charset + (framing.suffix or b"\r\n")
        self._min_length, self._max_length = framing.min_length, framing.max_length
        self._long_suffix = framing.suffix if framing.suffix and len(framing.suffix) > 1 else b""
        self._pending = b""
        self._discarding = False
        self._suspect = False  # a rejected frame just ended: the next one is withheld unless anchored
        self._unanchored = False  # no frame end since the port opened: the next frame is withheld
        self._last_byte = float("-inf")
        self._delivered: dict[tuple[str | None, str], float] = {}

    # -- driving ---------------------------------------------------------------------------------

    def feed(
        self, data: bytes, now: float, utc: datetime, *, quiet_until: float | None = None
    ) -> list[ScannerEvent]:
        """The events completed by ``data``, read at monotonic time ``now`` (UTC ``utc``).

        ``quiet_until`` is the latest time the line was seen with nothing waiting since the previous
        read (the port loop looks before each read); pauses are measured up to it, so a reader that
        was slow to run never mistakes bytes that waited in the buffer for a pause on the line. By
        default the bytes are taken to have arrived at ``now``.
        """
        if not data:
            return self.expire(now, utc)
        events: list[ScannerEvent] = []
        quiet = max(0.0, (now if quiet_until is None else quiet_until) - self._last_byte)
        self._last_byte = now
        self.stats.bytes += len(data)
        if quiet >= self.framing.idle_timeout:
            self._drop_partial(Fault.IDLE_PARTIAL, "partial frame idle past the timeout", events, now, utc)
        if quiet >= self.framing.quiet_gap and not self._pending and not self._discarding:
            self._suspect = self._unanchored = False
        buf = self._pending + data if self._pending else data
        self._pending = b""
        if self._discarding:
            buf = self._skip_overlong(buf)
            if self._discarding:
                return events
        parts = self._split(buf)
        tail = parts.pop()
        if parts:
            stamp = Stamp(self.device, now, utc)
            if not (self._bulk and self._deliver_in_bulk(buf, parts, tail, events, stamp)):
                for part in parts:
                    if part:  # empty: a CRLF split across two reads, or an empty frame
                        event = self._frame(part, stamp)
                        if event is not None:
                            events.append(event)
        self._hold(tail, events, now, utc)
        return events

    def expire(self, now: float, utc: datetime) -> list[ScannerEvent]:
        """Discard a partial frame idle past the timeout, the line having been quiet until ``now``
        (call it when a read times out)."""
        events: list[ScannerEvent] = []
        if now - self._last_byte >= self.framing.idle_timeout:
            self._drop_partial(Fault.IDLE_PARTIAL, "partial frame idle past the timeout", events, now, utc)
        return events

    def deadline(self) -> float | None:
        """When :meth:`expire` will next have something to do, if a partial frame is pending."""
        if self._pending or self._discarding:
            return self._last_byte + self.framing.idle_timeout
        return None

    def cut(self, now: float, utc: datetime) -> list[ScannerEvent]:
        """The port was lost: a pending partial frame can never be completed, so it is discarded."""
        events: list[ScannerEvent] = []
        self._drop_partial(Fault.CUT_OFF, "partial frame pending when the port was lost", events, now, utc)
        return events

    def opened(self, now: float) -> None:
        """The port was (re)opened at ``now``, perhaps in the middle of a frame: bytes arriving
        within ``quiet_gap`` of it start no frame."""
        self._pending = b""
        self._discarding = False
        self._suspect = False
        self._unanchored = True
        self._last_byte = now

    # -- framing ---------------------------------------------------------------------------------

    def _split(self, buf: bytes) -> list[bytes]:
        """The frames in ``buf``, the last one unfinished (possibly empty)."""
        suffix = self.framing.suffix
        if suffix is None:
            if b"\n" not in buf:
                suffix = b"\r"
            elif b"\r" not in buf:
                suffix = b"\n"
            else:
                return _LINE_ENDS.split(buf)
        return buf.split(suffix)

    def _skip_overlong(self, buf: bytes) -> bytes:
        """Drop the rest of an over-long frame; answer what follows its end, if it came."""
        suffix = self.framing.suffix
        if suffix is None:
            ends = [i for i in (buf.find(b"\r"), buf.find(b"\n")) if i >= 0]
            end, width = (min(ends), 1) if ends else (-1, 1)
        else:
            end, width = buf.find(suffix), len(suffix)
        if end < 0:
            keep = width - 1
            self._pending = buf[len(buf) - keep :] if keep else b""
            return b""
        self._discarding = False
        return buf[end + width :]

    def _hold(self, tail: bytes, events: list[ScannerEvent], now: float, utc: datetime) -> None:
        if len(tail) <= self._limit:
            self._pending = tail
            return
        detail = f"no frame end within {self.framing.max_length} bytes"
        events.append(self._reject(Fault.TOO_LONG, detail, tail, now, utc))
        self._discarding = True
        keep = len(self.framing.suffix or b"\r") - 1  # a suffix may straddle two reads
        self._pending = tail[len(tail) - keep :] if keep else b""

    def _drop_partial(
        self, fault: Fault, detail: str, events: list[ScannerEvent], now: float, utc: datetime
    ) -> None:
        pending, was_discarding = self._pending, self._discarding
        self._pending = b""
        self._discarding = False
        if pending and not was_discarding:
            events.append(self._reject(fault, detail, pending, now, utc))
            self._suspect = fault is Fault.CUT_OFF
            self._unanchored = False

    # -- checking --------------------------------------------------------------------------------

    def _reject(self, fault: Fault, detail: str, raw: bytes, now: float, utc: datetime) -> DeviceError:
        """Report ``raw`` as not delivered; mostly foreign bytes are reported as ``garbled``. The
        frame that follows is suspect; a frame withheld only for being unsynchronised ends at a frame
        end that puts the line back in step, so the one after it is not."""
        if len(raw.translate(None, self._charset)) * 2 > len(raw):
            detail = f"{detail}; bytes mostly outside the character set: check baud rate, parity, stop bits"
            fault = Fault.GARBLED
        self._suspect = fault is not Fault.UNSYNCHRONISED
        self._unanchored = False
        self.stats.rejected[fault] += 1
        return DeviceError(fault, detail, raw, self.device, now, utc)

    def _frame(self, segment: bytes, stamp: Stamp) -> ScannerEvent | None:
        """Check one complete frame (suffix removed): a scan, the first reason it is not one, or
        None for a duplicate inside the window."""
        framing = self.framing
        now, utc = stamp.monotonic, stamp.utc
        if not segment.startswith(framing.prefix):
            detail = f"frame does not start with the prefix {framing.prefix!r}"
            return self._reject(Fault.NO_PREFIX, detail, segment, now, utc)
        payload = segment[len(framing.prefix) :]
        fault, detail = self._check(payload)
        if fault is None and self._unanchored:
            fault, detail = Fault.UNSYNCHRONISED, "no pause or frame end since the port opened"
        elif fault is None and self._suspect and not (framing.aim and split_aim(payload) is not None):
            fault, detail = Fault.UNSYNCHRONISED, "no pause after a rejected frame"
        if fault is not None:
            return self._reject(fault, detail, payload, now, utc)
        try:
            code = payload.decode()
        except UnicodeDecodeError:
            return self._reject(Fault.BAD_BYTES, "frame is not valid UTF-8", payload, now, utc)
        symbology = aim = None
        gs1: dict[str, str] | None = None
        if framing.aim:
            split = split_aim(payload)
            if split is None:
                detail = "frame does not start with an AIM identifier"
                return self._reject(Fault.NO_AIM, detail, payload, now, utc)
            aim = split[0]
            code, symbology = code[3:], aim.symbology
            if aim.gs1:
                try:
                    gs1 = parse_element_string(code)
                except Gs1Error as error:
                    return self._reject(Fault.GS1_INVALID, str(error), payload, now, utc)
        self._suspect = False
        if framing.duplicate_window and self._is_duplicate(symbology, code, now):
            self.stats.duplicates += 1
            return None
        self.stats.scans += 1
        return Scan(payload, stamp, aim, gs1)

    def _check(self, payload: bytes) -> tuple[Fault | None, str]:
        framing = self.framing
        if len(payload) > framing.max_length:
            return Fault.TOO_LONG, f"frame longer than {framing.max_length} bytes"
        foreign = payload.translate(None, self._charset)
        if foreign:
            return Fault.BAD_BYTES, f"{len(foreign)} byte(s) outside the character set"
        if len(payload) < framing.min_length:
            return Fault.TOO_SHORT, f"frame shorter than {framing.min_length} bytes"
        return None, ""

    def _is_duplicate(self, symbology: str | None, code: str, now: float) -> bool:
        key = (symbology, code)
        last = self._delivered.get(key)
        if last is not None and now - last < self.framing.duplicate_window:
            return True
        window = self.framing.duplicate_window
        self._delivered = {k: t for k, t in self._delivered.items() if now - t < window}
        self._delivered[key] = now
        return False

    def _deliver_in_bulk(
        self, buf: bytes, parts: list[bytes], tail: bytes, events: list[ScannerEvent], stamp: Stamp
    ) -> bool:
        """Deliver every frame of a burst at once if all are good; False (nothing done) otherwise.

        ``parts`` are what the frame ends split the bytes of ``buf`` before ``tail`` into (at least
        one; empty where a CRLF was split across two reads, or a frame was empty). The checks are the
        ones :meth:`_frame` makes, each done once for the whole burst in C: no byte outside the
        character set (frame ends aside), every length within bounds, no stray byte of a multi-byte
        suffix. Without a prefix, AIM or a duplicate window there is nothing else to check.
        """
        if self._suspect or self._unanchored or not self._ascii:
            return False
        complete = buf[: len(buf) - len(tail)]
        if complete.translate(None, self._charset_and_ends):
            return False
        suffix = self._long_suffix
        if suffix and any(complete.count(byte) != len(parts) * suffix.count(byte) for byte in set(suffix)):
            return False  # a stray byte of a multi-byte suffix inside a frame
        lengths = set(map(len, parts))
        if 0 in lengths:
            lengths.discard(0)
            parts = [part for part in parts if part]
            if not parts:
                return True
        if min(lengths) < self._min_length or max(lengths) > self._max_length:
            return False
        # Scan(raw, stamp) runs no Python code: one small record a scan, all sharing the read's stamp.
        events += map(Scan, parts, repeat(stamp))
        self.stats.scans += len(parts)
        return True
