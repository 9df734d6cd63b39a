"""Stations: the desk PCs and handhelds the scanners and readers hang off, and their administration.

A station has its own API key (:mod:`custody.station_keys`: shown once when the station is added,
stored only as its SHA-256), belongs to one unit and department, and lists the devices it may report
from. A station reads with the scope of its unit (its unit and the units below) and holds no role:
whatever needs a role, it cannot do. A revoked key stops working at the next request; the row stays, so
the access log keeps naming the station.

An administrator may bind another device to a live station, unbind one (never its last), rotate its
key (a new key shown once; the old one refused from then on), and bind the station to the storage
location it stands at (or unbind it): its sightings are recorded at that location. Each such change,
and adding or revoking a station, is one transaction that also writes the record the entry point gives it
(:data:`RecordChange`: the access-log entry of the request or command, with
:meth:`StationChange.note` saying what changed). A revoked station stays revoked: nothing of it
changes any more.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.engine import Connection

from custody.access_log import redact_path
from custody.actors import Actor, require_role
from custody.codes import LocationCode
from custody.credentials import STATION_KEY_PREFIX, Randomness, digest, mint
from custody.db.pages import Page, fetch_page
from custody.db.storage_tables import LocationRow
from custody.db.tables import StationRow
from custody.db.unit_of_work import Also, Store
from custody.errors import (
    AlreadyExists,
    DeviceNotBound,
    InvalidInput,
    Message,
    NotFound,
    StationChangeRefused,
    StationRevoked,
    UnknownDevice,
    UnknownStation,
)
from custody.intake import clean_text
from custody.model import Department, Role
from custody.records import DEVICE_NOT_BOUND, Station
from custody.station_keys import StationKeys, require_live, station_of

_stations = cast(Table, StationRow.__table__)
_locations = cast(Table, LocationRow.__table__)

NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
MAX_DEVICES = 16
MAX_DEVICE_LENGTH = 128
ADMINS = frozenset({Role.ADMIN})

DEVICE_TOO_LONG = Message("station.device_too_long", "a device id has at most {max_length} characters")
DEVICES_NOT_A_LIST = Message("station.devices_not_a_list", "devices is a list of device ids")
DEVICE_LISTED_TWICE = Message("station.device_listed_twice", "device {device!r} is listed twice")
NO_DEVICE = Message("station.no_device", "a station needs at least one device")
TOO_MANY_DEVICES = Message("station.too_many_devices", "a station has at most {max_devices} devices")
BAD_NAME = Message(
    "station.bad_name", "a station name is 1-64 characters: lower-case letters, digits, '.', '_', '-'"
)
STATION_EXISTS = Message("station.exists", "station {name} exists already")
UNKNOWN_STATION = Message("station.unknown", "unknown station {name}")
DEVICE_BOUND_ALREADY = Message(
    "station.device_bound_already", "device {device!r} is bound to station {name} already"
)
LAST_DEVICE = Message(
    "station.last_device", "{device!r} is the last device of station {name}: bind another one first"
)
REVOKED_FOR_GOOD = Message("station.revoked", "station {name} is revoked for good: add a new station instead")
CHANGED_MEANWHILE = Message("station.changed_meanwhile", "station {name} changed meanwhile: read it again")
UNKNOWN_LOCATION = Message("station.unknown_location", "unknown storage location {location_code}")
LOCATION_OUTSIDE_UNIT = Message(
    "station.location_outside_unit",
    "location {location_code} belongs to unit {location_unit}, outside station {name}'s unit {unit_code}",
)
LOCATION_UNCHANGED = Message("station.location_unchanged", "station {name} is at {location} already")


def clean_device(device: object, field: str = "device") -> str:
    """One device id as given (trimmed): text of 1-128 characters without control characters."""
    text = clean_text(device, field, required=True)
    assert text is not None  # required
    if len(text) > MAX_DEVICE_LENGTH:
        raise InvalidInput(DEVICE_TOO_LONG, field=field, max_length=MAX_DEVICE_LENGTH)
    return text


def clean_devices(devices: Iterable[object]) -> tuple[str, ...]:
    """Device ids as given (trimmed), at least one, at most 16, no duplicates or control characters."""
    if isinstance(devices, str):
        raise InvalidInput(DEVICES_NOT_A_LIST, field="devices")
    cleaned: list[str] = []
    for device in devices:
        text = clean_device(device, "devices")
        if text in cleaned:
            raise InvalidInput(DEVICE_LISTED_TWICE, field="devices", device=text)
        cleaned.append(text)
    if not cleaned:
        raise InvalidInput(NO_DEVICE, field="devices")
    if len(cleaned) > MAX_DEVICES:
        raise InvalidInput(TOO_MANY_DEVICES, field="devices", max_devices=MAX_DEVICES)
    return tuple(cleaned)


@dataclass(frozen=True)
class StationChange:
    """One administrative change of a station, handed to the entry point's record inside the change's
    own transaction: what was done (``act``), by whom, the station as it is afterwards, and ``detail``
    (the devices added, bound or unbound and the hints of the keys issued or revoked)."""

    act: str  # added, device-bound, device-unbound, key-rotated, location-bound, location-unbound, revoked
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
    """The stations of one :class:`Store` and their administration. Every change makes ``keys`` (the
    process's remembered station keys) forget the station, so its next request reads it afresh."""

    def __init__(
        self, store: Store, keys: StationKeys | None = None, randomness: Randomness | None = None
    ) -> None:
        self.store = store
        self.keys = keys or StationKeys(store)
        self._randomness = randomness or secrets.token_bytes

    def forget(self, station_id: int) -> None:
        """Stop remembering the keys of station ``station_id`` (:meth:`StationKeys.forget`)."""
        self.keys.forget(station_id)

    def add(
        self,
        admin: Actor,
        name: str,
        unit_code: str,
        department: Department,
        devices: Iterable[object],
        record: RecordChange | None = None,
        also: Also | None = None,
        location_code: object = None,
    ) -> tuple[Station, str]:
        """Add a station in the administrator's scope; return it and its key (shown this once only).
        ``record`` (the entry points') is written in the same transaction, noting the devices.
        ``location_code``: the storage location it stands at (of its unit or below), if any."""
        require_role(admin, ADMINS, "add stations")
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise InvalidInput(BAD_NAME, field="name")
        self.store.require_unit(admin, unit_code, "add stations to unit")
        bound = clean_devices(devices)
        location = None if location_code is None else str(LocationCode.parse(location_code))
        key = mint(STATION_KEY_PREFIX, self._randomness)
        values = {
            "name": name,
            "unit_code": unit_code,
            "department": Department(department).value,
            "devices": _devices_json(bound),
            "key_sha256": digest(key),
            "key_hint": key[:8],
            "created_at_us": self.store.now_us(),
            "created_by": admin.id,
            "revoked_at_us": None,
            "location_code": location,
        }

        def add(conn: Connection) -> Station:
            if conn.execute(select(_stations.c.id).where(_stations.c.name == name)).first():
                raise AlreadyExists(STATION_EXISTS, name=name)
            if location is not None:
                self._require_location(conn, admin, name, unit_code, location)
            new_id = conn.execute(insert(_stations).values(**values)).inserted_primary_key[0]  # type: ignore[index]
            added = station_of({"id": new_id, **values})
            if record is not None:
                at = f", at {location}" if location else ""
                detail = f"{name} of unit {unit_code}{at}, devices {', '.join(bound)}; key {_hint(key[:8])}…"
                record(conn, StationChange("added", admin, added, detail))
            return added

        return self.store.write(add, also=also), key

    def get(self, viewer: Actor, name: str) -> Station:
        """A station in ``viewer``'s scope; any other is unknown, like a missing one."""
        with self.store.reading() as conn:
            row = conn.execute(select(_stations).where(_stations.c.name == name)).mappings().first()
            if row is None or not self.store.sees(viewer, row["unit_code"], conn):
                raise UnknownStation(UNKNOWN_STATION, name=name)
        return station_of(row)

    def list(self, viewer: Actor, cursor: str | None = None, limit: int = 50) -> Page[Station]:
        """Stations of ``viewer``'s unit and below, oldest first."""
        with self.store.reading() as conn:
            scope = self.store.units(conn, fresh=True).below(viewer.unit_code)
            query = select(_stations).where(_stations.c.unit_code.in_(sorted(scope)))
            return fetch_page(conn, query, _stations.c.id, cursor, limit, station_of, newest_first=False)

    def revoke(self, admin: Actor, name: str, record: RecordChange | None = None) -> Station:
        """Revoke a station's key for good (add the station again under a new name for a new key).
        ``record`` is written in the same transaction when this call revoked it (not when it was
        revoked already)."""
        require_role(admin, ADMINS, "revoke station keys")
        station = self.get(admin, name)
        now = self.store.now_us()

        def revoke(conn: Connection) -> None:
            revoked = conn.execute(
                update(_stations)
                .where(_stations.c.id == station.id, _stations.c.revoked_at_us.is_(None))
                .values(revoked_at_us=now)
            )
            if revoked.rowcount == 1 and record is not None:
                row = conn.execute(select(_stations).where(_stations.c.id == station.id)).mappings().one()
                after = station_of(row)
                record(conn, StationChange("revoked", admin, after, f"key {_hint(after.key_hint)}…"))

        self.store.write(revoke)
        self.forget(station.id)
        return self.get(admin, name)

    def bind(self, admin: Actor, name: str, device: object, record: RecordChange) -> Station:
        """Bind another device to a live station in the administrator's scope."""
        require_role(admin, ADMINS, "bind devices to stations")
        station = self.get(admin, name)
        added = clean_device(device)

        def change(_conn: Connection, current: Station) -> tuple[dict[str, Any], str]:
            if added in current.devices:
                raise StationChangeRefused(DEVICE_BOUND_ALREADY, device=added, name=name)
            if len(current.devices) >= MAX_DEVICES:
                raise StationChangeRefused(TOO_MANY_DEVICES, max_devices=MAX_DEVICES)
            return {"devices": _devices_json((*current.devices, added))}, added

        return self._change(admin, station, "device-bound", change, record)

    def unbind(self, admin: Actor, name: str, device: object, record: RecordChange) -> Station:
        """Unbind a device from a live station in the administrator's scope; never its last device."""
        require_role(admin, ADMINS, "unbind devices from stations")
        station = self.get(admin, name)
        gone = clean_device(device)

        def change(_conn: Connection, current: Station) -> tuple[dict[str, Any], str]:
            if gone not in current.devices:
                raise UnknownDevice(DEVICE_NOT_BOUND, device=gone, name=name)
            if len(current.devices) == 1:
                raise StationChangeRefused(LAST_DEVICE, device=gone, name=name)
            return {"devices": _devices_json(d for d in current.devices if d != gone)}, gone

        return self._change(admin, station, "device-unbound", change, record)

    def rotate_key(self, admin: Actor, name: str, record: RecordChange) -> tuple[Station, str]:
        """Give a live station in the administrator's scope a new key and return it (shown this once
        only); the old key is refused from the commit on, here and in every other service process."""
        require_role(admin, ADMINS, "rotate station keys")
        station = self.get(admin, name)
        key = mint(STATION_KEY_PREFIX, self._randomness)

        def change(_conn: Connection, current: Station) -> tuple[dict[str, Any], str]:
            values = {"key_sha256": digest(key), "key_hint": key[:8]}
            return values, f"key {_hint(current.key_hint)}… replaced by {_hint(key[:8])}…"

        return self._change(admin, station, "key-rotated", change, record), key

    def bind_location(self, admin: Actor, name: str, location_code: object, record: RecordChange) -> Station:
        """Bind a live station in the administrator's scope to the storage location it stands at (a
        location of its unit or below), or unbind it (``location_code`` None): its sightings are
        recorded at that location from the next scan on."""
        require_role(admin, ADMINS, "bind stations to locations")
        station = self.get(admin, name)
        location = None if location_code is None else str(LocationCode.parse(location_code))

        def change(conn: Connection, current: Station) -> tuple[dict[str, Any], str]:
            if location == current.location_code:
                raise StationChangeRefused(LOCATION_UNCHANGED, name=name, location=location or "no location")
            if location is not None:
                self._require_location(conn, admin, name, current.unit_code, location)
            return {
                "location_code": location
            }, f"location {current.location_code or 'none'} → {location or 'none'}"

        act = "location-bound" if location is not None else "location-unbound"
        return self._change(admin, station, act, change, record)

    def _require_location(
        self, conn: Connection, admin: Actor, name: str, unit_code: str, location: str
    ) -> None:
        """Refuse a location that does not exist or that the administrator does not see (alike), and
        one outside the station's unit and the units below it."""
        found = conn.execute(select(_locations.c.unit_code).where(_locations.c.code == location)).first()
        if found is None or not self.store.sees(admin, found[0], conn):
            raise NotFound(UNKNOWN_LOCATION, location_code=location)
        if not self.store.units(conn, need=(found[0], unit_code)).within(found[0], unit_code):
            raise StationChangeRefused(
                LOCATION_OUTSIDE_UNIT,
                location_code=location,
                location_unit=found[0],
                name=name,
                unit_code=unit_code,
            )

    def _change(
        self,
        admin: Actor,
        station: Station,
        act: str,
        change: Callable[[Connection, Station], tuple[dict[str, Any], str]],
        record: RecordChange,
    ) -> Station:
        """One change of a station's row and its record, in one transaction. The row is read again in
        it and written only if nobody changed it meanwhile (another service process, on PostgreSQL)."""

        def write(conn: Connection) -> Station:
            row = dict(conn.execute(select(_stations).where(_stations.c.id == station.id)).mappings().one())
            current = station_of(row)
            if current.revoked_at_us is not None:
                raise StationChangeRefused(REVOKED_FOR_GOOD, name=current.name)
            values, detail = change(conn, current)
            written = conn.execute(
                update(_stations)
                .where(
                    _stations.c.id == current.id,
                    _stations.c.key_sha256 == row["key_sha256"],
                    _stations.c.devices == row["devices"],
                    _stations.c.location_code.is_not_distinct_from(row["location_code"]),
                    _stations.c.revoked_at_us.is_(None),
                )
                .values(**values)
            )
            if written.rowcount != 1:
                raise StationChangeRefused(CHANGED_MEANWHILE, name=current.name)
            changed = station_of({**row, **values})
            record(conn, StationChange(act, admin, changed, detail))
            return changed

        try:
            return self.store.write(write)
        finally:
            self.forget(station.id)  # this process reads the station afresh at its next request


# Kept importable from here for the scan path (custody.scans, api.routes.scans).
__all__ = [
    "DeviceNotBound",
    "RecordChange",
    "StationChange",
    "StationRevoked",
    "Stations",
    "clean_device",
    "clean_devices",
    "require_live",
]
