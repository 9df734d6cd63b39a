"""The access log: who read or changed what, when, from which station and device, with what outcome.

It is separate from the custody ledger, which records acts on items; this records requests, reads
included. Entries are appended through the group-commit writer (a request is answered only once its
entry is committed) and never changed: database triggers refuse UPDATE and DELETE (and TRUNCATE on
PostgreSQL; on SQLite an INSERT that would replace an entry), as for the ledger, and every entry is
hash-chained to the one before it (:mod:`custody.access_chain`; ``custody access-log verify``). An
entry holds no secret: no password, token, key or request body, and a query parameter that looks like a
credential (by its name, or by its value's prefix ``cst_``/``csk_``), or a path segment holding such a
value, is stored as ``[redacted]``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import unquote_plus

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection, Engine

from custody.access_chain import ALL_COLUMNS, chained, verify_entries
from custody.actors import Actor
from custody.clock import from_us
from custody.credentials import SESSION_PREFIX, STATION_KEY_PREFIX
from custody.db.ledger_store import raw_rows, unreadable_errors
from custody.db.prepared import Prepared, PreparedInsert
from custody.db.tables import AccessLogRow, StationRow, UserRow
from custody.ledger import GENESIS_HASH, Head, Verification
from custody.queries import Page, Queries, check_limit, fetch_page
from custody.text import shown

if TYPE_CHECKING:
    from custody.services import Custody

_log = cast(Table, AccessLogRow.__table__)
_INSERT = PreparedInsert(_log)
_HEAD = Prepared(select(_log.c.seq, _log.c.hash).order_by(_log.c.seq.desc()).limit(1))
SELECT_ALL = f"SELECT {', '.join(ALL_COLUMNS)} FROM access_log ORDER BY seq"  # noqa: S608 - constants
_users = cast(Table, UserRow.__table__)
_stations = cast(Table, StationRow.__table__)

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
    note: str = ""  # what a refusal disclosed: ``username-unavailable: NAME``


REDACTED = "[redacted]"
# Parameter names that carry a credential (matched case-insensitively, as a part of the name), and
# the prefixes of this service's own tokens and station keys, redacted under any name.
_SECRET_NAME = re.compile(
    r"token|passw|pwd|secret|api[-_]?key|^key$|[-_]key$|auth|session|credential|signature|^sig$|cookie",
    re.IGNORECASE,
)
_OUR_PREFIXES = "|".join(re.escape(prefix) for prefix in (SESSION_PREFIX, STATION_KEY_PREFIX))
_SECRET_VALUE = re.compile(rf"\b(?:{_OUR_PREFIXES})", re.IGNORECASE)
_TOKEN_IN_PATH = re.compile(rf"\b(?:{_OUR_PREFIXES})[^/]*", re.IGNORECASE)


def log_head(conn: Connection) -> Head:
    """The newest entry's seq and hash (the genesis hash before the first)."""
    found = _HEAD.run(conn, {}).fetchone()
    return Head(0, GENESIS_HASH) if found is None else Head(found[0], found[1])


def verify_log(engine: Engine, expect_head: Head | None = None) -> Verification:
    """Recompute the access log's whole chain from the rows exactly as the driver returns them."""
    with raw_rows(engine, SELECT_ALL) as rows:
        return verify_entries(rows, expect_head, unreadable_errors(engine))


def redact_path(path: str) -> str:
    """The path as it may be kept: a segment that carries one of this service's tokens or keys
    (someone pasted one where a name belongs) is replaced by ``[redacted]``."""
    return _TOKEN_IN_PATH.sub(REDACTED, path)


def redact_query(query: str) -> str:
    """The query string as it may be kept: the value of every credential-looking parameter replaced
    by ``[redacted]``; names, order and other values unchanged (as sent, still percent-encoded)."""
    if not query:
        return query
    parts = []
    for part in query.split("&"):
        name, equals, value = part.partition("=")
        if _SECRET_VALUE.search(unquote_plus(name)):
            parts.append(REDACTED)  # a credential sent as a bare parameter, or as a name
        elif equals and (
            _SECRET_NAME.search(unquote_plus(name)) or _SECRET_VALUE.search(unquote_plus(value))
        ):
            parts.append(f"{name}={REDACTED}")
        else:
            parts.append(part)
    return "&".join(parts)


_ACCESS_FIELDS = tuple(f.name for f in fields(Access))


def _clip(text: str, limit: int) -> str:
    """Text as logged: at most ``limit`` characters, refused characters shown as U+FFFD (custody.text)."""
    return shown(text, limit)


class AccessLog:
    def __init__(self, custody: Custody) -> None:
        self.store = custody.store
        self._queries = Queries(custody)

    def record(self, access: Access) -> int:
        """Append one entry; return its seq once it is committed."""
        return self.store.write(self.act_for(access))

    def act_for(self, access: Access) -> Callable[[Connection], int]:
        """The write of one entry, for a caller that records it inside its own act's transaction."""
        values = {name: getattr(access, name) for name in _ACCESS_FIELDS}
        values.update(
            at_us=self.store.now_us(),
            method=_clip(access.method, 16),
            route=_clip(access.route, 300),
            path=_clip(redact_path(access.path), 1000),
            query=_clip(redact_query(access.query), 1000),
            note=_clip(access.note, 300),
            device=_clip(access.device, 128),
            client=_clip(access.client, 200),
        )

        def act(conn: Connection) -> int:
            entry = chained(log_head(conn), values)
            _INSERT.run(conn, entry)
            return int(entry["seq"])

        return act

    def head(self) -> Head:
        """The newest entry's seq and hash."""
        with self.store.reading() as conn:
            return log_head(conn)

    def verify(self, expect_head: Head | None = None) -> Verification:
        """Recompute the access log's whole chain from the rows exactly as the driver returns them."""
        return verify_log(self.store.engine, expect_head)

    def entries(
        self,
        viewer: Actor,
        username: str | None = None,
        station: str | None = None,
        unit_code: str | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[dict[str, Any]]:
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
        return fetch_page(self.store, query, _log.c.seq, cursor, limit, _view)


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
        "note": row["note"],
        "hash": row["hash"],
    }
