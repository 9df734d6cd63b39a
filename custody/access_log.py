"""The access log: who read or changed what, when, from which station and device, with what outcome.

It is separate from the custody ledger, which records acts on items; this records requests, reads
included. Entries are appended through the group-commit writer (a request is answered only once its
entry is committed) and never changed: database triggers refuse UPDATE and DELETE (and TRUNCATE on
PostgreSQL), as for the ledger. An entry holds no secret: no password, token, key or request body.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection

from custody.actors import Actor
from custody.clock import from_us
from custody.db.prepared import PreparedInsert
from custody.db.tables import AccessLogEntry, Station, User
from custody.queries import Page, Queries, check_limit, fetch_page
from custody.services import Custody
from custody.text import shown

_log = cast(Table, AccessLogEntry.__table__)
_INSERT = PreparedInsert(_log, returning=_log.c.seq)
_users = cast(Table, User.__table__)
_stations = cast(Table, Station.__table__)

USER, STATION, ANONYMOUS = "user", "station", "anonymous"


@dataclass(frozen=True)
class Access:
    """One request as logged. ``unit_code`` is the caller's unit (for a failed login, the account's)."""

    caller: str
    method: str
    route: str  # the route template, e.g. /api/v1/items/{evidence_no}
    path: str  # the path as requested
    status: int
    user_id: int | None = None
    station_id: int | None = None
    unit_code: str | None = None
    device: str = ""
    client: str = ""
    query: str = ""


_ACCESS_FIELDS = tuple(f.name for f in fields(Access))


def _clip(text: str, limit: int) -> str:
    """Text as logged: at most ``limit`` characters, refused characters shown as U+FFFD (custody.text)."""
    return shown(text, limit)


class AccessLog:
    def __init__(self, custody: Custody) -> None:
        self.custody = custody
        self._queries = Queries(custody)

    def record(self, access: Access) -> int:
        """Append one entry; return its seq once it is committed."""
        return self.custody.writer.submit(self.act_for(access))

    def act_for(self, access: Access) -> Callable[[Connection], int]:
        """The write of one entry, for a caller that records it inside its own act's transaction."""
        values = {name: getattr(access, name) for name in _ACCESS_FIELDS}
        values.update(
            at_us=self.custody.clock.now_us(),
            method=_clip(access.method, 16),
            route=_clip(access.route, 300),
            path=_clip(access.path, 1000),
            query=_clip(access.query, 1000),
            device=_clip(access.device, 128),
            client=_clip(access.client, 200),
        )

        def act(conn: Connection) -> int:
            return int(_INSERT.run(conn, values).fetchone()[0])

        return act

    def entries(
        self,
        viewer: Actor,
        username: str | None = None,
        station: str | None = None,
        unit_code: str | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page:
        """Entries of callers in the viewer's unit and below, newest first.

        Requests by no one known (no credentials, unknown usernames at login) carry no unit: only the
        province sees them.
        """
        check_limit(limit)
        query = select(_log, _users.c.username, _stations.c.name.label("station")).select_from(
            _log.outerjoin(_users, _users.c.id == _log.c.user_id).outerjoin(
                _stations, _stations.c.id == _log.c.station_id
            )
        )
        units = self._queries.scope(viewer, unit_code)
        if units is not None:
            query = query.where(_log.c.unit_code.in_(sorted(units)))
        if username is not None:
            query = query.where(_users.c.username == username)
        if station is not None:
            query = query.where(_stations.c.name == station)
        return fetch_page(self.custody.engine, query, _log.c.seq, cursor, limit, _view)


def _view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "seq": row["seq"],
        "at": from_us(row["at_us"]).isoformat(),
        "caller": row["caller"],
        "username": row["username"],
        "station": row["station"],
        "unit_code": row["unit_code"],
        "device": row["device"],
        "client": row["client"],
        "method": row["method"],
        "route": row["route"],
        "path": row["path"],
        "query": row["query"],
        "status": row["status"],
    }
