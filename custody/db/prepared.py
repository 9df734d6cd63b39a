"""Statements compiled once per dialect and run on the DBAPI cursor: the write hot path.

SQLAlchemy builds and compiles each statement (with the right parameter style for SQLite or PostgreSQL);
running it then skips the per-call work of the Core execution layer, which on an intake costs several
times the database's own work. Only used for simple statements whose parameters need no type processing
(integers, text, booleans).

SQLite answers ``RETURNING`` at a price above the statement's own work (it collects the rows apart before
handing them over): where SQLite gives the same answer another way, the statements here take it
(:meth:`PreparedInsert.inserted_id`: the cursor's ``lastrowid``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.elements import BindParameter


class Prepared:
    def __init__(self, statement: ClauseElement) -> None:
        self._statement = statement
        self._compiled: dict[str, tuple[str, Sequence[str] | None, dict[str, Any]]] = {}
        # the last dialect run on and its compiled form: one identity check on the hot path
        self._last: tuple[Any, str, Sequence[str] | None, dict[str, Any]] = (None, "", None, {})

    def _sql(self, conn: Connection) -> tuple[str, Sequence[str] | None, dict[str, Any]]:
        name = conn.dialect.name
        found = self._compiled.get(name)
        if found is None:
            compiled: Any = self._statement.compile(dialect=conn.dialect)
            order = compiled.positiontup if conn.dialect.positional else None
            # values fixed in the statement itself (e.g. LIMIT 1); the others come with each call
            fixed = {
                name: b.value for name, b in compiled.binds.items() if b.value is not None and not b.required
            }
            found = (str(compiled), list(order) if order is not None else None, fixed)
            self._compiled[name] = found
        return found

    def run(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        """Execute with ``params``; return the DBAPI cursor (``fetchone()`` for RETURNING or SELECT)."""
        dialect, sql, order, fixed = self._last
        if dialect is not conn.dialect:
            sql, order, fixed = self._sql(conn)
            self._last = (conn.dialect, sql, order, fixed)
        if fixed:
            params = {**fixed, **params}
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(sql, [params[k] for k in order] if order is not None else params)
        return cursor


class PreparedInsert:
    """An INSERT … RETURNING whose column list follows the keys given (compiled once per key set)."""

    def __init__(self, table: Any, returning: Any = None) -> None:
        self._table = table
        self._returning = returning
        self._by_keys: dict[tuple[str, ...], Prepared] = {}
        self._plain_by_keys: dict[tuple[str, ...], Prepared] = {}  # the same without RETURNING

    def _prepared(self, keys: tuple[str, ...], returning: Any) -> Prepared:
        from sqlalchemy import bindparam, insert

        statement = insert(self._table).values({k: bindparam(k) for k in keys})
        if returning is not None:
            statement = statement.returning(returning)
        return Prepared(statement)

    def run(self, conn: Connection, values: Mapping[str, Any]) -> Any:
        keys = tuple(values)
        prepared = self._by_keys.get(keys)
        if prepared is None:
            prepared = self._by_keys[keys] = self._prepared(keys, self._returning)
        return prepared.run(conn, values)

    def inserted_id(self, conn: Connection, values: Mapping[str, Any]) -> int:
        """Insert the row; return its integer primary key (the ``returning`` column): on SQLite the
        cursor's ``lastrowid`` (the rowid, which an ``INTEGER PRIMARY KEY`` is), elsewhere RETURNING."""
        if conn.dialect.name != "sqlite":
            return int(self.run(conn, values).fetchone()[0])
        keys = tuple(values)
        prepared = self._plain_by_keys.get(keys)
        if prepared is None:
            prepared = self._plain_by_keys[keys] = self._prepared(keys, None)
        return int(prepared.run(conn, values).lastrowid)


class PreparedRow:
    """An INSERT of every column of ``columns``, given as a sequence in that order (no mapping built
    and read back: the driver gets the sequence itself where its parameters are positional);
    ``returning``: the integer primary key that :meth:`inserted_id` answers."""

    def __init__(self, table: Any, columns: Sequence[str], returning: Any = None) -> None:
        from sqlalchemy import bindparam, insert

        self._columns = tuple(columns)
        statement = insert(table).values({k: bindparam(k) for k in self._columns})
        self._prepared = Prepared(statement)
        self._returning = None if returning is None else Prepared(statement.returning(returning))
        # per dialect: the SQL, when the driver takes the row as it is (its order is the columns')
        self._as_is: dict[Any, str | None] = {}

    def run(self, conn: Connection, row: Sequence[Any]) -> Any:
        """Insert the row; return the DBAPI cursor."""
        dialect = conn.dialect
        try:
            sql = self._as_is[dialect]
        except KeyError:
            sql, order, fixed = self._prepared._sql(conn)
            as_is = not fixed and order is not None and tuple(order) == self._columns
            sql = self._as_is[dialect] = sql if as_is else None
        if sql is None:
            return self._prepared.run(conn, dict(zip(self._columns, row, strict=True)))
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(sql, row)
        return cursor

    def inserted_id(self, conn: Connection, row: Sequence[Any]) -> int:
        """Insert the row; return its integer primary key: on SQLite the cursor's ``lastrowid`` (the
        rowid, which an ``INTEGER PRIMARY KEY`` is), elsewhere the ``returning`` column."""
        if conn.dialect.name == "sqlite":
            return int(self.run(conn, row).lastrowid)
        if self._returning is None:
            raise TypeError("inserted_id needs the returning column off SQLite")
        return int(self._returning.run(conn, dict(zip(self._columns, row, strict=True))).fetchone()[0])


class PreparedIn:
    """A statement with one ``IN (…)`` list of any length: ``build`` makes it for a list of bound
    parameters. Compiled once per dialect and list size, sizes rounded up to a power of two (the list
    padded with its last value, which ``IN`` does not count twice), so a few forms serve every batch."""

    def __init__(self, build: Callable[[list[BindParameter[Any]]], ClauseElement]) -> None:
        self._build = build
        self._by_size: dict[int, Prepared] = {}

    def run(self, conn: Connection, values: Sequence[Any], params: Mapping[str, Any] | None = None) -> Any:
        """Execute for ``values`` (at least one) and ``params``; return the DBAPI cursor."""
        from sqlalchemy import bindparam

        if not values:
            raise ValueError("an IN list takes at least one value")
        size = 1 << (len(values) - 1).bit_length()
        prepared = self._by_size.get(size)
        if prepared is None:
            prepared = self._by_size[size] = Prepared(
                self._build([bindparam(f"in_{i}") for i in range(size)])
            )
        given = dict(params or {})
        for i in range(size):
            given[f"in_{i}"] = values[min(i, len(values) - 1)]
        return prepared.run(conn, given)
