"""What the scanner driver delivers: scans, and device events (errors, port lost, port back).

Every event carries the device id, the monotonic time (for intervals, duplicate windows) and the UTC
time (for the record) at which the bytes that completed it were read, and turns into one JSON object
(``custody scanner listen`` prints one a line).

:class:`Scan` is a named tuple rather than a frozen dataclass: a burst brings thousands a second and
building a tuple costs a fraction of a frozen dataclass's ``__init__``. It is just as immutable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, NamedTuple

from devices.scanner.errors import Fault


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


class Scan(NamedTuple):
    """One code, read as one complete frame that passed every check.

    ``code`` is the scanned data with prefix, suffix and AIM identifier removed (GS separators of GS1
    data are kept); ``raw`` is every byte between prefix and suffix as received, AIM identifier
    included. ``symbology`` and ``aim`` are set only when AIM identifiers are enabled; ``gs1`` only
    for GS1 symbologies (``]C1``, ``]e0``, ``]d2``, ``]Q3``), as application identifier -> value.
    """

    code: str
    symbology: str | None
    aim: str | None
    gs1: Mapping[str, str] | None
    raw: bytes
    device: str
    monotonic: float
    utc: datetime

    event = "scan"

    def to_json(self) -> dict[str, object]:
        return {
            "event": self.event,
            "code": self.code,
            "symbology": self.symbology,
            "aim": self.aim,
            "gs1": dict(self.gs1) if self.gs1 is not None else None,
            "device": self.device,
            "utc": _iso(self.utc),
            "monotonic": round(self.monotonic, 6),
            "raw": self.raw.hex(),
        }


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
        return {
            "event": self.event,
            "kind": self.kind.value,
            "detail": self.detail,
            "device": self.device,
            "utc": _iso(self.utc),
            "monotonic": round(self.monotonic, 6),
            "raw": self.raw.hex(),
        }


@dataclass(frozen=True, slots=True)
class Connected:
    """The port was opened for the first time."""

    event: ClassVar[str] = "connected"
    port: str
    device: str
    monotonic: float
    utc: datetime

    def to_json(self) -> dict[str, object]:
        return {
            "event": self.event,
            "port": self.port,
            "device": self.device,
            "utc": _iso(self.utc),
            "monotonic": round(self.monotonic, 6),
        }


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
        return {
            "event": self.event,
            "port": self.port,
            "reason": self.reason,
            "device": self.device,
            "utc": _iso(self.utc),
            "monotonic": round(self.monotonic, 6),
        }


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
        return {
            "event": self.event,
            "port": self.port,
            "attempts": self.attempts,
            "downtime": round(self.downtime, 3),
            "device": self.device,
            "utc": _iso(self.utc),
            "monotonic": round(self.monotonic, 6),
        }


ScannerEvent = Scan | DeviceError | Connected | Disconnected | Reconnected
"""Everything the driver delivers, in the order it happened."""
