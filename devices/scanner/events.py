"""What the scanner driver delivers: scans, and device events (errors, port lost, port back).

Every event carries the device id, the monotonic time (for intervals, duplicate windows) and the UTC
time (for the record) at which the bytes that completed it were read, and turns into one JSON object
(``custody scanner listen`` prints one a line).

:class:`Scan` is built for bursts, which bring hundreds of scans in one read: a scan is one small
tuple, made without running Python code, of the frame's bytes and the :class:`Stamp` (device and
times) that every scan of the same read shares; the code and the rest are derived when asked for.
It is immutable and compares by value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, NamedTuple

from devices.scanner.aim import Aim
from devices.scanner.errors import Fault


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _stamped(event: str, device: str, monotonic: float, utc: datetime, **fields: object) -> dict[str, object]:
    """An event's JSON object: its name, its own fields, then who read it and when."""
    return {"event": event, **fields, "device": device, "utc": _iso(utc), "monotonic": round(monotonic, 6)}


class Stamp(NamedTuple):
    """Which device read the bytes that completed a scan, and when: one per read, shared by every
    scan that read completed."""

    device: str
    monotonic: float
    utc: datetime


class Scan(tuple[Any, ...]):
    """One code, read as one complete frame that passed every check.

    ``code`` is the scanned data with prefix, suffix and AIM identifier removed (GS separators of GS1
    data are kept); ``raw`` is every byte between prefix and suffix as received, AIM identifier
    included. ``symbology`` and ``aim`` are set only when AIM identifiers are enabled; ``gs1`` only
    for GS1 symbologies (``]C1``, ``]e0``, ``]d2``, ``]Q3``), as application identifier -> value.
    ``device``, ``monotonic`` and ``utc`` say who read it and when.

    The tuple itself is ``(raw, stamp)``: the frame's bytes and the :class:`Stamp` of the read that
    completed it; with an AIM identifier it is ``(raw, stamp, aim, gs1)``, the identifier as an
    :class:`~devices.scanner.aim.Aim` and the GS1 fields (or None). The parser makes it from that
    tuple, ``Scan((raw, stamp))``, as one makes a ``time.struct_time``; :meth:`of` makes one from
    plain values.
    """

    __slots__ = ()

    event: ClassVar[str] = "scan"

    @classmethod
    def of(
        cls,
        raw: bytes,
        device: str,
        monotonic: float,
        utc: datetime,
        *,
        aim: Aim | None = None,
        gs1: Mapping[str, str] | None = None,
    ) -> Scan:
        """The scan of the frame ``raw`` (AIM identifier included, if any) that ``device`` read at
        ``monotonic`` / ``utc``."""
        stamp = Stamp(device, monotonic, utc)
        return cls((raw, stamp) if aim is None and gs1 is None else (raw, stamp, aim, gs1))

    @property
    def code(self) -> str:
        raw = self[0]
        return (raw if _aim(self) is None else raw[3:]).decode()

    @property
    def symbology(self) -> str | None:
        aim = _aim(self)
        return aim.symbology if aim is not None else None

    @property
    def aim(self) -> str | None:
        aim = _aim(self)
        return aim.identifier if aim is not None else None

    @property
    def gs1(self) -> Mapping[str, str] | None:
        return self[3] if len(self) > 2 else None

    @property
    def raw(self) -> bytes:
        return self[0]

    @property
    def stamp(self) -> Stamp:
        return self[1]

    @property
    def device(self) -> str:
        return self[1].device

    @property
    def monotonic(self) -> float:
        return self[1].monotonic

    @property
    def utc(self) -> datetime:
        return self[1].utc

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in _SCAN_FIELDS)
        return f"Scan({fields})"

    def to_json(self) -> dict[str, object]:
        gs1 = self.gs1
        fields = {"code": self.code, "symbology": self.symbology, "aim": self.aim}
        fields["gs1"] = dict(gs1) if gs1 is not None else None
        return {**_stamped(self.event, *self[1], **fields), "raw": self[0].hex()}


_SCAN_FIELDS = ("code", "symbology", "aim", "gs1", "raw", "device", "monotonic", "utc")


def _aim(scan: Scan) -> Aim | None:
    return scan[2] if len(scan) > 2 else None  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class DeviceError:
    """Bytes that were not delivered as a scan, and why (``kind``); the driver carries on."""

    event: ClassVar[str] = "error"
    kind: Fault
    detail: str
    raw: bytes
    device: str
    monotonic: float
    utc: datetime

    def to_json(self) -> dict[str, object]:
        stamped = _stamped(
            self.event, self.device, self.monotonic, self.utc, kind=self.kind.value, detail=self.detail
        )
        return {**stamped, "raw": self.raw.hex()}


@dataclass(frozen=True, slots=True)
class Connected:
    """The port was opened for the first time."""

    event: ClassVar[str] = "connected"
    port: str
    device: str
    monotonic: float
    utc: datetime

    def to_json(self) -> dict[str, object]:
        return _stamped(self.event, self.device, self.monotonic, self.utc, port=self.port)


@dataclass(frozen=True, slots=True)
class Disconnected:
    """The port went away (unplugged, serial server gone) or could not be opened; retries follow."""

    event: ClassVar[str] = "disconnected"
    port: str
    reason: str
    device: str
    monotonic: float
    utc: datetime

    def to_json(self) -> dict[str, object]:
        return _stamped(self.event, self.device, self.monotonic, self.utc, port=self.port, reason=self.reason)


@dataclass(frozen=True, slots=True)
class Reconnected:
    """The port is open again after a :class:`Disconnected`, ``attempts`` opens and ``downtime`` s later."""

    event: ClassVar[str] = "reconnected"
    port: str
    attempts: int
    downtime: float
    device: str
    monotonic: float
    utc: datetime

    def to_json(self) -> dict[str, object]:
        return _stamped(
            self.event,
            self.device,
            self.monotonic,
            self.utc,
            port=self.port,
            attempts=self.attempts,
            downtime=round(self.downtime, 3),
        )


ScannerEvent = Scan | DeviceError | Connected | Disconnected | Reconnected
"""Everything the driver delivers, in the order it happened."""
