"""The unit of work: the one object through which the core reads and writes.

A :class:`Store` holds the database engine, the group-commit writer, the clock and the unit tree. Every
module of the core takes a ``Store`` and reaches the database only through it:

- ``with store.reading() as conn:`` for a consistent read (one connection, returned on leaving);
- ``store.write(change)`` for a write: ``change`` is a function of the write connection, run by the
  writer inside its own savepoint and answered once its transaction has committed (or rolled back: a
  refusal raised by ``change`` writes nothing). ``also`` runs in the same savepoint after ``change``,
  for an entry point's own record of the write (an access-log entry, an idempotency key): both are
  committed together or neither is.

No module outside :mod:`custody.db` opens a connection or submits to the writer itself.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from typing import Any, Protocol, TypeVar

from sqlalchemy import Engine, func, select
from sqlalchemy.engine import Connection

from custody.actors import PROVINCE_CODE, Actor, UnitTree
from custody.clock import Clock, SystemClock
from custody.db.engine import make_engine
from custody.db.tables import EventRow, UnitRow
from custody.db.writer import Writer
from custody.errors import Message, NotPermitted, UnknownUnit

T = TypeVar("T")


class Scoped(Protocol):
    """Whoever sees by unit: a user (an :class:`~custody.actors.Actor`) or a scanning station."""

    @property
    def unit_code(self) -> str: ...


Change = Callable[[Connection], T]
Also = Callable[[Connection, Any], object]

_units = UnitRow.__table__
_UNIT_PARENTS = select(_units.c.code, _units.c.parent_code)
_UNIT_COUNT = select(func.count()).select_from(_units)
_LEDGER_HEAD = select(func.max(EventRow.__table__.c.seq))
PRIMARY_HEAD = "custody_primary_head"  # conn.info key: the primary's ledger head, on a replica's connection

UNKNOWN_UNIT = Message("unit.unknown", "unknown unit {unit_code}")
# ``act``: what the unit was named for, as the caller says it ("add users to unit")
OUTSIDE_SCOPE = Message("unit.outside_scope", "{username} may not {act} {unit_code}")


def _with_also(change: Callable[[Connection], T], also: Also | None) -> Callable[[Connection], T]:
    if also is None:
        return change

    def both(conn: Connection) -> T:
        result = change(conn)
        also(conn, result)
        return result

    return both


class Store:
    """One database: its engine, its group-commit writer, the clock acts are stamped with, the unit tree."""

    def __init__(self, engine: Engine, clock: Clock | None = None) -> None:
        self.engine = engine
        self.clock: Clock = clock or SystemClock()
        self.writer = Writer(engine)
        self._tree: UnitTree | None = None
        self.replica: Engine | None = None  # a read replica for reports and verification, if configured

    @classmethod
    def open(cls, url: str, clock: Clock | None = None, **engine_options: Any) -> Store:
        return cls(make_engine(url, **engine_options), clock)

    def close(self) -> None:
        self.writer.close()
        self.engine.dispose()
        if self.replica is not None:
            self.replica.dispose()

    def use_replica(self, url: str) -> None:
        """Send reports, statistics and the chain's verification to the read replica at ``url``; acts,
        and reads that must see their own writes, stay on this (the primary) database."""
        self.replica = make_engine(url)

    @property
    def url(self) -> str:
        """The database's address with any password hidden (for messages and logs)."""
        return self.engine.url.render_as_string(hide_password=True)

    def now_us(self) -> int:
        return self.clock.now_us()

    # ------------------------------------------------------------------------------------ reads

    @contextlib.contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for reads, returned to the pool on leaving the block."""
        with self.engine.connect() as conn:
            yield conn

    @contextlib.contextmanager
    def report_reading(self) -> Iterator[Connection]:
        """A connection for a report's reads: on the read replica when there is one (the primary's
        head is noted on it first, ``conn.info[PRIMARY_HEAD]``, so a report can say how far the replica
        lags), else as :meth:`reading`."""
        if self.replica is None:
            with self.reading() as conn:
                yield conn
            return
        with self.reading() as primary:
            head = primary.execute(_LEDGER_HEAD).scalar_one()
        with self.replica.connect() as conn:
            conn.info[PRIMARY_HEAD] = int(head or 0)
            yield conn

    # ----------------------------------------------------------------------------------- writes

    def write(self, change: Callable[[Connection], T], also: Also | None = None) -> T:
        """Run ``change`` (then ``also``) in one write transaction; return once committed."""
        return self.writer.submit(_with_also(change, also))

    def write_future(self, change: Callable[[Connection], T], also: Also | None = None) -> Future[T]:
        """As :meth:`write`, answered through a future (for callers that wait elsewhere)."""
        return self.writer.submit_future(_with_also(change, also))

    async def write_async(self, change: Callable[[Connection], T], also: Also | None = None) -> T:
        """As :meth:`write`, for coroutines: awaits the commit without holding a thread."""
        return await self.writer.submit_async(_with_also(change, also))

    # ------------------------------------------------------------------------------ unit scope

    def units(
        self, conn: Connection | None = None, need: Iterable[str] = (), fresh: bool = False
    ) -> UnitTree:
        """The unit tree, cached (``conn``: read it on this connection, e.g. inside a write).

        Units are only ever added, never moved or removed, so a cached tree is right about every unit
        it holds; what it can lack is a unit another service process added since. ``need``: codes the
        answer depends on (one the tree lacks reloads it first); ``fresh``: the answer depends on every
        unit (a listing of a subtree), so the tree is reloaded when the database holds more units."""
        tree = self._tree
        if tree is not None and fresh:
            counted = self._on(conn, lambda c: c.execute(_UNIT_COUNT).scalar_one())
            if counted != len(tree):
                tree = None
        if tree is None or any(code not in tree for code in need):
            rows = self._on(conn, lambda c: c.execute(_UNIT_PARENTS).all())
            tree = UnitTree({code: parent for code, parent in rows})
            self._tree = tree
        return tree

    def _on(self, conn: Connection | None, read: Callable[[Connection], T]) -> T:
        if conn is not None:
            return read(conn)
        with self.reading() as own:
            return read(own)

    def units_changed(self) -> None:
        """Forget the cached unit tree (after units were added)."""
        self._tree = None

    def sees(self, viewer: Scoped | None, unit_code: str, conn: Connection | None = None) -> bool:
        """The one scope rule: a viewer sees its own unit and every unit below it (``None``: no
        viewer, the system itself, sees everything)."""
        if viewer is None:
            return True
        return self.units(conn, need=(unit_code, viewer.unit_code)).within(unit_code, viewer.unit_code)

    def scope_of(self, viewer: Scoped | None, conn: Connection | None = None) -> set[str] | None:
        """The unit codes ``viewer`` sees, or ``None`` for every unit (no viewer, or the province)."""
        if viewer is None or viewer.unit_code == PROVINCE_CODE:
            return None
        return self.units(conn, fresh=True).below(viewer.unit_code)

    def require_unit(self, viewer: Actor, unit_code: str, act: str, conn: Connection | None = None) -> None:
        """The one refusal of a unit an act names: an unknown unit (:class:`UnknownUnit`), then one
        outside ``viewer``'s scope (:class:`NotPermitted`: "``viewer`` may not ``act`` ``unit_code``",
        e.g. ``act="add users to unit"``)."""
        if unit_code not in self.units(conn, need=(unit_code,)):
            raise UnknownUnit(UNKNOWN_UNIT, unit_code=unit_code)
        if not self.sees(viewer, unit_code, conn):
            raise NotPermitted(OUTSIDE_SCOPE, username=viewer.username, act=act, unit_code=unit_code)


# ``Connection``: what a ``Change`` and an ``Also`` are given, for entry points that write their ``also``
# as a class or a typed function (they hand it on to the core, never run SQL on it).
__all__ = ["OUTSIDE_SCOPE", "UNKNOWN_UNIT", "Also", "Change", "Connection", "Scoped", "Store"]
