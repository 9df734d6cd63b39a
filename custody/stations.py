"""Stations: the desk PCs and handhelds the scanners and readers hang off.

A station has its own API key (:mod:`custody.credentials`: shown once when the station is added, stored
only as its SHA-256), belongs to one unit and department, and lists the devices it may report from. A
station reads with the scope of its unit (its unit and the units below) and holds no role: whatever
needs a role, it cannot do. A revoked key stops working at the next request; the row stays, so the
access log keeps naming the station.

An administrator may bind another device to a live station, unbind one (never its last), and rotate
its key (a new key shown once; the old one refused from then on). Each such change, and adding or
revoking a station, is one transaction that also writes the record the entry point gives it
(:data:`RecordChange`: the access-log entry of the request or command, with
:meth:`StationChange.note` saying what changed). A revoked station stays revoked: nothing of it
changes any more.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.engine import Connection

from custody.access_log import redact_path
from custody.actors import Actor, require_role
from custody.credentials import STATION_KEY_PREFIX, Randomness, digest, looks_like, mint
from custody.db.prepared import Prepared
from custody.db.tables import StationRow
from custody.errors import (
    AlreadyExists,
    CustodyError,
    InvalidInput,
    NotFound,
    NotPermitted,
    UnknownUnit,
)
from custody.identity import ADMINS, NotAuthenticated
from custody.intake import clean_text
from custody.model import Department
from custody.queries import Page, fetch_page
from custody.services import Custody

_stations = cast(Table, StationRow.__table__)

NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
MAX_DEVICES = 16
MAX_DEVICE_LENGTH = 128
MAX_REMEMBERED = 10_000  # station keys remembered by one process (the cache is emptied when full)


class UnknownStation(NotFound):
    code = "unknown-station"


class StationRevoked(NotAuthenticated):
    """The station's key was revoked after the service last checked it."""


class DeviceNotBound(NotPermitted):
    """The station named a device that is not one of its own."""

    code = "device-not-bound"


class UnknownDevice(NotFound):
    """An administrator named a device that is not bound to the station."""

    code = "unknown-device"


class StationChangeRefused(CustodyError):
    """The station's state does not allow the change: a revoked station, its last device, a device
    bound already, or a change made by someone else meanwhile. Nothing was written."""

    code = "station-change-refused"


@dataclass(frozen=True)
class Station:
    id: int
    name: str
    unit_code: str
    department: Department
    devices: tuple[str, ...]
    key_hint: str
    created_at_us: int
    revoked_at_us: int | None
    key_sha256: str = field(default="", repr=False)  # the live key's digest (never shown)

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
            raise DeviceNotBound(f"device {device!r} is not bound to station {self.name}")

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "unit_code": self.unit_code,
            "department": self.department.value,
            "devices": list(self.devices),
            "key_hint": self.key_hint,
            "created_at_us": self.created_at_us,
            "revoked_at_us": self.revoked_at_us,
        }


def _station(row: Any) -> Station:
    return Station(
        id=row["id"],
        name=row["name"],
        unit_code=row["unit_code"],
        department=Department(row["department"]),
        devices=tuple(json.loads(row["devices"])),
        key_hint=row["key_hint"],
        created_at_us=row["created_at_us"],
        revoked_at_us=row["revoked_at_us"],
        key_sha256=row["key_sha256"],
    )


_LIVE = Prepared(
    select(_stations.c.revoked_at_us, _stations.c.key_sha256, _stations.c.devices).where(
        _stations.c.id == bindparam("id")
    )
)


def require_live(
    conn: Connection, station_id: int, key_sha256: str | None = None, device: str | None = None
) -> None:
    """Refuse, inside the caller's transaction, a station whose key was revoked (or that is gone), a
    key that is no longer the station's (``key_sha256``: it was rotated) and a device no longer bound
    to it: for a service that remembers keys between requests (:meth:`Stations.recall`), whose copy
    may be older than the row."""
    row = _LIVE.run(conn, {"id": station_id}).fetchone()
    if row is None or row[0] is not None or (key_sha256 is not None and row[1] != key_sha256):
        raise StationRevoked("the station key is unknown or revoked")
    if device is not None and device not in json.loads(row[2]):
        raise DeviceNotBound(f"device {device!r} is not bound to this station")


def _station_view(row: dict[str, Any]) -> dict[str, Any]:
    return _station(row).as_dict()


def clean_device(device: object, field: str = "device") -> str:
    """One device id as given (trimmed): text of 1-128 characters without control characters."""
    text = clean_text(device, field, required=True)
    assert text is not None  # required
    if len(text) > MAX_DEVICE_LENGTH:
        raise InvalidInput(f"a device id has at most {MAX_DEVICE_LENGTH} characters", field)
    return text


def clean_devices(devices: Iterable[object]) -> tuple[str, ...]:
    """Device ids as given (trimmed), at least one, at most 16, no duplicates or control characters."""
    if isinstance(devices, str):
        raise InvalidInput("devices is a list of device ids", "devices")
    cleaned: list[str] = []
    for device in devices:
        text = clean_device(device, "devices")
        if text in cleaned:
            raise InvalidInput(f"device {text!r} is listed twice", "devices")
        cleaned.append(text)
    if not cleaned:
        raise InvalidInput("a station needs at least one device", "devices")
    if len(cleaned) > MAX_DEVICES:
        raise InvalidInput(f"a station has at most {MAX_DEVICES} devices", "devices")
    return tuple(cleaned)


@dataclass(frozen=True)
class StationChange:
    """One administrative change of a station, handed to the entry point's record inside the change's
    own transaction: what was done (``act``), by whom, the station as it is afterwards, and ``detail``
    (the devices added, bound or unbound and the hints of the keys issued or revoked)."""

    act: str  # added, device-bound, device-unbound, key-rotated, revoked
    admin: Actor
    station: Station
    detail: str

    def note(self) -> str:
        """What the access log keeps of the change: never a key (a hint is a key's first characters,
        kept without its prefix; a device id that carries a token or a key is ``[redacted]``)."""
        return redact_path(f"station-{self.act}: {self.detail}")


RecordChange = Callable[[Connection, StationChange], object]


def _hint(key_hint: str) -> str:
    """A key hint without the key prefix, so that no logged text looks like a key."""
    return key_hint.removeprefix(STATION_KEY_PREFIX)


def _devices_json(devices: Iterable[str]) -> str:
    return json.dumps(list(devices), ensure_ascii=False)


class Stations:
    def __init__(self, custody: Custody, randomness: Randomness | None = None) -> None:
        self.custody = custody
        self._randomness = randomness or secrets.token_bytes
        # key digest -> station, filled by authenticate(); read by recall(); a revoke here empties it
        self._known: dict[str, Station] = {}

    def add(
        self,
        admin: Actor,
        name: str,
        unit_code: str,
        department: Department,
        devices: Iterable[object],
        record: RecordChange | None = None,
    ) -> tuple[Station, str]:
        """Add a station in the administrator's scope; return it and its key (shown this once only).
        ``record`` (the entry points') is written in the same transaction, noting the devices."""
        require_role(admin, ADMINS, "add stations")
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise InvalidInput(
                "a station name is 1-64 characters: lower-case letters, digits, '.', '_', '-'", "name"
            )
        tree = self.custody.store.units()
        if unit_code not in tree:
            raise UnknownUnit(f"unknown unit {unit_code}")
        if not tree.within(unit_code, admin.unit_code):
            raise NotPermitted(f"{admin.username} may not add stations to unit {unit_code}")
        bound = clean_devices(devices)
        key = mint(STATION_KEY_PREFIX, self._randomness)
        values = {
            "name": name,
            "unit_code": unit_code,
            "department": Department(department).value,
            "devices": _devices_json(bound),
            "key_sha256": digest(key),
            "key_hint": key[:8],
            "created_at_us": self.custody.clock.now_us(),
            "created_by": admin.id,
            "revoked_at_us": None,
        }

        def act(conn: Connection) -> Station:
            if conn.execute(select(_stations.c.id).where(_stations.c.name == name)).first():
                raise AlreadyExists(f"station {name} exists already")
            new_id = conn.execute(insert(_stations).values(**values)).inserted_primary_key[0]  # type: ignore[index]
            added = _station({"id": new_id, **values})
            if record is not None:
                detail = f"{name} of unit {unit_code}, devices {', '.join(bound)}; key {_hint(key[:8])}…"
                record(conn, StationChange("added", admin, added, detail))
            return added

        return self.custody.writer.submit(act), key

    def authenticate(self, key: object) -> Station:
        """The station holding ``key``; raise :class:`NotAuthenticated` for an unknown or revoked key."""
        if not looks_like(key, STATION_KEY_PREFIX):
            raise NotAuthenticated("no valid station key")
        with self.custody.engine.connect() as conn:
            row = (
                conn.execute(select(_stations).where(_stations.c.key_sha256 == digest(str(key))))
                .mappings()
                .first()
            )
        if row is None or row["revoked_at_us"] is not None:
            raise NotAuthenticated("the station key is unknown or revoked")
        station = _station(row)
        if len(self._known) >= MAX_REMEMBERED:
            self._known.clear()
        self._known[row["key_sha256"]] = station
        return station

    def recall(self, key: object, device: str | None = None) -> Station | None:
        """The station of ``key`` as :meth:`authenticate` last found it, without reading the database;
        None when it is not remembered, or when ``device`` is not bound in the remembered copy (it may
        have been bound since: read the database again rather than refuse). The key may have been
        revoked or rotated, the device unbound, since (by another process): a caller trusting this must
        check the station again in the transaction it writes in (:meth:`custody.scans.Scans.record`
        does)."""
        if not looks_like(key, STATION_KEY_PREFIX):
            return None
        station = self._known.get(digest(str(key)))
        if station is None or (device is not None and device not in station.devices):
            return None
        return station

    def forget(self, station_id: int) -> None:
        """Stop remembering the keys of station ``station_id`` (it was found revoked, or changed)."""
        for known, station in list(self._known.items()):
            if station.id == station_id:
                self._known.pop(known, None)

    def get(self, viewer: Actor, name: str) -> Station:
        """A station in ``viewer``'s scope; any other is unknown, like a missing one."""
        with self.custody.engine.connect() as conn:
            row = conn.execute(select(_stations).where(_stations.c.name == name)).mappings().first()
        if row is None or not self.custody.store.units().within(row["unit_code"], viewer.unit_code):
            raise UnknownStation(f"unknown station {name}")
        return _station(row)

    def revoke(self, admin: Actor, name: str, record: RecordChange | None = None) -> Station:
        """Revoke a station's key for good (add the station again under a new name for a new key).
        ``record`` is written in the same transaction when this call revoked it (not when it was
        revoked already)."""
        require_role(admin, ADMINS, "revoke station keys")
        station = self.get(admin, name)
        now = self.custody.clock.now_us()

        def act(conn: Connection) -> None:
            revoked = conn.execute(
                update(_stations)
                .where(_stations.c.id == station.id, _stations.c.revoked_at_us.is_(None))
                .values(revoked_at_us=now)
            )
            if revoked.rowcount == 1 and record is not None:
                row = conn.execute(select(_stations).where(_stations.c.id == station.id)).mappings().one()
                after = _station(row)
                record(conn, StationChange("revoked", admin, after, f"key {_hint(after.key_hint)}…"))

        self.custody.writer.submit(act)
        self.forget(station.id)
        return self.get(admin, name)

    def bind(self, admin: Actor, name: str, device: object, record: RecordChange) -> Station:
        """Bind another device to a live station in the administrator's scope."""
        require_role(admin, ADMINS, "bind devices to stations")
        station = self.get(admin, name)
        added = clean_device(device)

        def change(current: Station) -> tuple[dict[str, Any], str]:
            if added in current.devices:
                raise StationChangeRefused(f"device {added!r} is bound to station {name} already")
            if len(current.devices) >= MAX_DEVICES:
                raise StationChangeRefused(f"a station has at most {MAX_DEVICES} devices")
            return {"devices": _devices_json((*current.devices, added))}, added

        return self._change(admin, station, "device-bound", change, record)

    def unbind(self, admin: Actor, name: str, device: object, record: RecordChange) -> Station:
        """Unbind a device from a live station in the administrator's scope; never its last device."""
        require_role(admin, ADMINS, "unbind devices from stations")
        station = self.get(admin, name)
        gone = clean_device(device)

        def change(current: Station) -> tuple[dict[str, Any], str]:
            if gone not in current.devices:
                raise UnknownDevice(f"device {gone!r} is not bound to station {name}")
            if len(current.devices) == 1:
                raise StationChangeRefused(
                    f"{gone!r} is the last device of station {name}: bind another one first"
                )
            return {"devices": _devices_json(d for d in current.devices if d != gone)}, gone

        return self._change(admin, station, "device-unbound", change, record)

    def rotate_key(self, admin: Actor, name: str, record: RecordChange) -> tuple[Station, str]:
        """Give a live station in the administrator's scope a new key and return it (shown this once
        only); the old key is refused from the commit on, here and in every other service process."""
        require_role(admin, ADMINS, "rotate station keys")
        station = self.get(admin, name)
        key = mint(STATION_KEY_PREFIX, self._randomness)

        def change(current: Station) -> tuple[dict[str, Any], str]:
            values = {"key_sha256": digest(key), "key_hint": key[:8]}
            return values, f"key {_hint(current.key_hint)}… replaced by {_hint(key[:8])}…"

        return self._change(admin, station, "key-rotated", change, record), key

    def _change(
        self,
        admin: Actor,
        station: Station,
        act: str,
        change: Callable[[Station], tuple[dict[str, Any], str]],
        record: RecordChange,
    ) -> Station:
        """One change of a station's row and its record, in one transaction. The row is read again in
        it and written only if nobody changed it meanwhile (another service process, on PostgreSQL)."""

        def write(conn: Connection) -> Station:
            row = dict(conn.execute(select(_stations).where(_stations.c.id == station.id)).mappings().one())
            current = _station(row)
            if current.revoked_at_us is not None:
                raise StationChangeRefused(
                    f"station {current.name} is revoked for good: add a new station instead"
                )
            values, detail = change(current)
            written = conn.execute(
                update(_stations)
                .where(
                    _stations.c.id == current.id,
                    _stations.c.key_sha256 == row["key_sha256"],
                    _stations.c.devices == row["devices"],
                    _stations.c.revoked_at_us.is_(None),
                )
                .values(**values)
            )
            if written.rowcount != 1:
                raise StationChangeRefused(f"station {current.name} changed meanwhile: read it again")
            changed = _station({**row, **values})
            record(conn, StationChange(act, admin, changed, detail))
            return changed

        try:
            return self.custody.writer.submit(write)
        finally:
            self.forget(station.id)  # this process reads the station afresh at its next request

    def list(self, viewer: Actor, cursor: str | None = None, limit: int = 50) -> Page:
        """Stations of ``viewer``'s unit and below, oldest first."""
        scope = self.custody.store.units().below(viewer.unit_code)
        query = select(_stations).where(_stations.c.unit_code.in_(sorted(scope)))
        return fetch_page(
            self.custody.engine, query, _stations.c.id, cursor, limit, _station_view, newest_first=False
        )
