"""What the scanner driver delivers: scans, and device events (errors, port lost, port back).

Every event carries the device id, the monotonic time (for intervals, duplicate windows) and the UTC
time (for the record) at which the bytes that completed it were read, and turns into one JSON object
(``custody scanner listen`` prints one a line).

:class:`Scan` is built for bursts, which bring hundreds of scans in one read: a scan is one small
C-level record (a ``msgspec.Struct``, made without running Python code and never tracked by the
cycle collector) of the frame's bytes and the :class:`Stamp` (device and times) that every scan of
the same read shares; the code and the rest are derived when asked for. It is immutable and
compares by value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

import msgspec

from devices.scanner.aim import Aim
from devices.scanner.errors import Fault


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _stamped(event: str, device: str, monotonic: float, utc: datetime, **fields: object) -> dict[str, object]:
    """An event's JSON object: its name, its own fields, then who read it and when."""
    return {"event": event, **fields, "device": device, "utc": _iso(utc), "monotonic": round(monotonic, 6)}


class Stamp(msgspec.Struct, frozen=True, gc=False):
    """Which device read the bytes that completed a scan, and when: one per read, shared by every
    scan that read completed."""

    device: str
    monotonic: float
    utc: datetime


class Scan(msgspec.Struct, frozen=True, gc=False):
    """One code, read as one complete frame that passed every check.

    ``code`` is the scanned data with prefix, suffix and AIM identifier removed (GS separators of GS1
    data are kept); ``raw`` is every byte between prefix and suffix as received, AIM identifier
    included. ``symbology`` and ``aim`` are set only when AIM identifiers are enabled; ``gs1`` only
    for GS1 symbologies (``]C1``, ``]e0``, ``]d2``, ``]Q3``), as application identifier -> value.
    ``device``, ``monotonic`` and ``utc`` say who read it and when.

    What it holds is ``raw``, the :class:`Stamp` of the read that completed it (shared by every scan
    of that read), the AIM identifier as an :class:`~devices.scanner.aim.Aim` (``identifier``) and the
    GS1 fields; the parser makes it as ``Scan(raw, stamp)``, and :meth:`of` makes one from plain
    values. A scan holds only immutable values and none of them can lead back to it, so it is
    exempt from the cycle collector (``gc=False``): a burst of thousands of scans costs the
    collector nothing.
    """

    raw: bytes
    stamp: Stamp
    identifier: Aim | None = None
    gs1: Mapping[str, str] | None = None

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
        return cls(raw, Stamp(device, monotonic, utc), aim, gs1)

    @property
    def code(self) -> str:
        raw = self.raw
        return (raw if self.identifier is None else raw[3:]).decode()

    @property
    def symbology(self) -> str | None:
        aim = self.identifier
        return aim.symbology if aim is not None else None

    @property
    def aim(self) -> str | None:
        aim = self.identifier
        return aim.identifier if aim is not None else None

    @property
    def device(self) -> str:
        return self.stamp.device

    @property
    def monotonic(self) -> float:
        return self.stamp.monotonic

    @property
    def utc(self) -> datetime:
        return self.stamp.utc

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in _SCAN_FIELDS)
        return f"Scan({fields})"

    def to_json(self) -> dict[str, object]:
        gs1, stamp = self.gs1, self.stamp
        fields: dict[str, object] = {"code": self.code, "symbology": self.symbology, "aim": self.aim}
        fields["gs1"] = dict(gs1) if gs1 is not None else None
        stamped = _stamped(self.event, stamp.device, stamp.monotonic, stamp.utc, **fields)
        return {**stamped, "raw": self.raw.hex()}


_SCAN_FIELDS = ("code", "symbology", "aim", "gs1", "raw", "device", "monotonic", "utc")


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
