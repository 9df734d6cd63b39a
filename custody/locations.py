"""Storage locations (存放位置) of a unit's sealed store: store → room → shelf → bin.

A location is named by its code (:class:`custody.codes.LocationCode`): ``L`` + the owning unit's code +
one to four segments, one per level (``L220102-A`` store A, ``L220102-A-2-03-1`` a bin of it). The unit
that owns a location is the unit whose code is the code's region; a location below the store level
needs its parent to exist. Custodians (and administrators) of the unit or a unit above it add them;
every reader of the unit's scope reads them, and a location outside one's scope is answered as missing.
Locations are reference rows, not ledger events: what lies where is recorded on the items (sealing and
relocation, :mod:`custody.seals`).
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, insert, select
from sqlalchemy.engine import Connection, RowMapping

from custody.actors import Actor, require_role
from custody.codes import LocationCode
from custody.db.storage_tables import LocationRow
from custody.db.unit_of_work import Also, Store
from custody.errors import AlreadyExists, Message, UnknownLocation
from custody.intake import clean_text
from custody.model import Role
from custody.storage_records import Location

UNKNOWN_LOCATION = Message("location.unknown", "unknown location {location_code}")
LOCATION_EXISTS = Message("location.exists", "location {location_code} exists already")
UNKNOWN_PARENT_LOCATION = Message(
    "location.unknown_parent",
    "location {location_code} lies in {parent_code}, which does not exist: add {parent_code} first",
)

LOCATION_ROLES = frozenset({Role.CUSTODIAN, Role.ADMIN})

_locations = cast(Table, LocationRow.__table__)


class Locations:
    """The storage locations of the units' stores."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, actor: Actor, code: str, name: str, also: Also | None = None) -> Location:
        """Add location ``code`` (its unit: the code's region) named ``name``; its parent must exist
        (``also``: the entry point's own record of it, in the same transaction)."""
        require_role(actor, LOCATION_ROLES, "add storage locations")
        parsed = LocationCode.parse(code)
        number = str(parsed)
        label = clean_text(name, "name", required=True) or ""
        unit_code = parsed.region_code
        self.store.require_unit(actor, unit_code, "add storage locations to")
        parent = parsed.parent

        def change(conn: Connection) -> Location:
            if self._row(conn, number) is not None:
                raise AlreadyExists(LOCATION_EXISTS, location_code=number)
            if parent is not None and self._row(conn, str(parent)) is None:
                raise UnknownLocation(UNKNOWN_PARENT_LOCATION, location_code=number, parent_code=str(parent))
            conn.execute(
                insert(_locations).values(
                    code=number,
                    unit_code=unit_code,
                    level=parsed.level.value,
                    parent_code=None if parent is None else str(parent),
                    name=label,
                    created_at_us=self.store.now_us(),
                    created_by_id=actor.id,
                )
            )
            row = self._row(conn, number)
            assert row is not None
            return Location.from_row(row)

        return self.store.write(change, also=also)

    def get(self, viewer: Actor | None, code: str) -> Location:
        """The location of this code in the viewer's scope; outside it, answered as missing."""
        number = str(LocationCode.parse(code))
        with self.store.reading() as conn:
            return self.find(conn, viewer, number)

    def find(self, conn: Connection, viewer: Actor | None, number: str) -> Location:
        """As :meth:`get`, on ``conn`` (inside a write), for a canonical code."""
        row = self._row(conn, number)
        if row is None or not self.store.sees(viewer, row["unit_code"], conn):
            raise UnknownLocation(UNKNOWN_LOCATION, location_code=number)
        return Location.from_row(row)

    def path(self, viewer: Actor | None, code: str) -> list[Location]:
        """The location and the locations it lies in, store first (for its label)."""
        parsed: LocationCode | None = LocationCode.parse(code)
        codes: list[str] = []
        while parsed is not None:
            codes.insert(0, str(parsed))
            parsed = parsed.parent
        with self.store.reading() as conn:
            return [self.find(conn, viewer, each) for each in codes]

    def list(self, viewer: Actor | None, unit_code: str | None = None) -> list[Location]:
        """The locations the viewer may see (of ``unit_code`` only, when given), by code."""
        query = select(_locations).order_by(_locations.c.code)
        if unit_code is not None:
            query = query.where(_locations.c.unit_code == unit_code)
        with self.store.reading() as conn:
            scope = self.store.scope_of(viewer, conn)
            if scope is not None:
                query = query.where(_locations.c.unit_code.in_(sorted(scope)))
            return [Location.from_row(r) for r in conn.execute(query).mappings()]

    @staticmethod
    def _row(conn: Connection, number: str) -> RowMapping | None:
        return conn.execute(select(_locations).where(_locations.c.code == number)).mappings().first()
