"""Station keys: the station a key stands for, remembered between requests, and checked again inside
the transaction that trusts a remembered one.

A station's API key (:mod:`custody.credentials`) is shown once when the station is added or its key
rotated, and stored only as its SHA-256. A revoked or rotated key stops working at the next request;
a service process that remembers keys (:meth:`StationKeys.recall`, for the scan route) checks the
station again in the transaction it writes in (:func:`require_live`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.engine import Connection

from custody.credentials import STATION_KEY_PREFIX, digest, looks_like
from custody.db.prepared import Prepared
from custody.db.tables import StationRow
from custody.db.unit_of_work import Store
from custody.errors import DeviceNotBound, Message, NotAuthenticated, StationRevoked
from custody.model import Department
from custody.records import Station

_stations = cast(Table, StationRow.__table__)

NO_STATION_KEY = Message("station.no_key", "no valid station key")
STATION_KEY_NOT_LIVE = Message("station.key_not_live", "the station key is unknown or revoked")
DEVICE_NOT_OF_STATION = Message(
    "station.device_not_its_own", "device {device!r} is not bound to this station"
)

MAX_REMEMBERED = 10_000  # station keys remembered by one process (the cache is emptied when full)


def station_of(row: Mapping[Any, Any]) -> Station:
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
        location_code=row["location_code"],
    )


_LIVE = Prepared(
    select(
        _stations.c.revoked_at_us, _stations.c.key_sha256, _stations.c.devices, _stations.c.location_code
    ).where(_stations.c.id == bindparam("id"))
)


def require_live(
    conn: Connection, station_id: int, key_sha256: str | None = None, device: str | None = None
) -> str | None:
    """Refuse, inside the caller's transaction, a station whose key was revoked (or that is gone), a
    key that is no longer the station's (``key_sha256``: it was rotated) and a device no longer bound
    to it: for a service that remembers keys between requests (:meth:`StationKeys.recall`), whose copy
    may be older than the row. Returns the storage location the station is bound to now (or None),
    as the row says in this transaction: a sighting is recorded there."""
    row = _LIVE.run(conn, {"id": station_id}).fetchone()
    if row is None or row[0] is not None or (key_sha256 is not None and row[1] != key_sha256):
        raise StationRevoked(STATION_KEY_NOT_LIVE)
    if device is not None and device not in json.loads(row[2]):
        raise DeviceNotBound(DEVICE_NOT_OF_STATION, device=device)
    location: str | None = row[3]
    return location


class StationKeys:
    """The stations that keys stand for, over one :class:`Store`, remembered by this process."""

    def __init__(self, store: Store) -> None:
        self.store = store
        # key digest -> station, filled by authenticate(); read by recall(); emptied by forget()
        self._known: dict[str, Station] = {}

    def authenticate(self, key: object) -> Station:
        """The station holding ``key``; raise :class:`~custody.errors.NotAuthenticated` for an unknown
        or revoked key."""
        if not looks_like(key, STATION_KEY_PREFIX):
            raise NotAuthenticated(NO_STATION_KEY)
        query = select(_stations).where(_stations.c.key_sha256 == digest(str(key)))
        with self.store.reading() as conn:
            row = conn.execute(query).mappings().first()
        if row is None or row["revoked_at_us"] is not None:
            raise NotAuthenticated(STATION_KEY_NOT_LIVE)
        station = station_of(row)
        if len(self._known) >= MAX_REMEMBERED:
            self._known.clear()
        self._known[station.key_sha256] = station
        return station

    def recall(self, key: object, device: str | None = None) -> Station | None:
        """The station of ``key`` as :meth:`authenticate` last found it, without reading the database;
        None when it is not remembered, or when ``device`` is not bound in the remembered copy (it may
        have been bound since: read the database again rather than refuse). The key may have been
        revoked or rotated, the device unbound, since (by another process): a caller trusting this must
        check the station again in the transaction it writes in (:func:`require_live`, as
        :meth:`custody.scans.Scans.record` does)."""
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
