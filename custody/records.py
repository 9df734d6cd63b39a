"""The core's records: what its services return and take, as frozen dataclasses.

Rows never leave the module that reads them: each service turns them into one of these records, so a
field's name and type are checked by ``mypy --strict`` wherever it is used, and the HTTP API builds its
response models from the records' attributes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from custody.actors import Actor
from custody.clock import from_us
from custody.errors import DeviceNotBound, Message
from custody.model import Department, Role

# ------------------------------------------------------------------------ units, cases, items, events


# ------------------------------------------------------------------------- users, sessions, stations

DEVICE_NOT_BOUND = Message("station.device_not_bound", "device {device!r} is not bound to station {name}")


@dataclass(frozen=True)
class User:
    """A user as an administrator sees it: never the password's hash, but whether there is one and
    until when the account is locked by failed logins (``None``: not locked)."""

    id: int
    username: str
    full_name: str
    unit_code: str
    department: Department
    roles: tuple[Role, ...]  # sorted
    active: bool
    has_password: bool
    locked_until_us: int | None
    created_at_us: int

    @property
    def locked_until(self) -> datetime | None:
        return None if self.locked_until_us is None else from_us(self.locked_until_us)

    @property
    def created_at(self) -> datetime:
        return from_us(self.created_at_us)


@dataclass(frozen=True)
class NewSession:
    """A session just opened: its token is handed to the client once; only its SHA-256 is kept."""

    token: str
    session_id: int
    expires_at_us: int
    actor: Actor


@dataclass(frozen=True)
class ActiveSession:
    """The live session a token stands for, and who holds it."""

    session_id: int
    expires_at_us: int
    actor: Actor


@dataclass(frozen=True)
class Station:
    """A station (a desk PC, a handheld): its unit and department, the devices it may report from, and
    the hint of its live key (the key's first characters; the key itself is never kept)."""

    id: int
    name: str
    unit_code: str
    department: Department
    devices: tuple[str, ...]
    key_hint: str
    created_at_us: int
    revoked_at_us: int | None
    key_sha256: str = field(default="", repr=False)  # the live key's digest (never shown)

    @property
    def created_at(self) -> datetime:
        return from_us(self.created_at_us)

    @property
    def revoked_at(self) -> datetime | None:
        return None if self.revoked_at_us is None else from_us(self.revoked_at_us)

    def viewer(self) -> Actor:
        """The station as a reader: its unit's scope and no role, so every act needing one is refused."""
        return self._viewer

    @cached_property
    def _viewer(self) -> Actor:
        return Actor(
            id=-self.id,
            username=f"station:{self.name}",
            full_name=self.name,
            unit_code=self.unit_code,
            department=self.department,
            roles=frozenset(),
        )

    def require_device(self, device: str | None) -> None:
        """Refuse a device that is not bound to this station (None: no device acts)."""
        if device is not None and device not in self.devices:
            raise DeviceNotBound(DEVICE_NOT_BOUND, device=device, name=self.name)
