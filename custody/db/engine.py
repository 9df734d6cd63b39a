"""Engines for SQLite (embedded, one bureau) and PostgreSQL (province-wide).

An SQLite database file is created readable and writable by its owner only (0600), and an existing one
is narrowed to that; SQLite gives its ``-wal`` and ``-shm`` files the database file's permissions.

SQLite runs in WAL mode with ``synchronous=FULL`` (a commit is on disk when it returns), a busy timeout,
foreign keys on, and ``BEGIN IMMEDIATE`` on connections marked for writing, so a writer takes the write
lock before it reads what it will check. Readers use ordinary deferred transactions and never block it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.engine import Connection

WRITE_OPTION = "custody_write"
SQLITE_BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str, pool_size: int = 10, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        _private_file(make_url(url).database)
        # Keep the connections: opening one costs its PRAGMAs (WAL takes a lock), and the service's
        # thread pool (40 threads) reads concurrently.
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False},
            pool_size=max(pool_size, 40),
            max_overflow=10,
            **kwargs,
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, **kwargs)


PRIVATE_FILE = 0o600
SQLITE_FULL = 13  # "database or disk is full"
POSTGRES_DISK_FULL = "53100"  # SQLSTATE disk_full


SQLITE_IOERR = 10  # "disk I/O error": on a full disk, what opening the WAL or growing it answers
SPACE_LEFT_BYTES = 64 * 1024  # less than this free: the file system is full for SQLite's purposes


def storage_full(error: BaseException, engine: Engine | None = None) -> bool:
    """Whether ``error`` (a SQLAlchemy error, or the driver's error it wraps) says the database's disk is
    full: SQLite's SQLITE_FULL, PostgreSQL's disk_full, ENOSPC in the text, or (given the SQLite
    ``engine``) SQLite's disk I/O error while the database's file system has no space left."""
    for cause in (error, getattr(error, "orig", None), error.__cause__):
        if cause is None:
            continue
        code = getattr(cause, "sqlite_errorcode", None)
        if code == SQLITE_FULL or getattr(cause, "sqlstate", None) == POSTGRES_DISK_FULL:
            return True
        message = str(cause).lower()
        if "database or disk is full" in message or "no space left on device" in message:
            return True
        if isinstance(code, int) and code & 0xFF == SQLITE_IOERR and engine is not None:
            return _no_space_left(engine)
    return False


def _no_space_left(engine: Engine) -> bool:
    database = engine.url.database if is_sqlite(engine) else None
    if not database or database == ":memory:" or database.startswith("file:"):
        return False
    try:
        found = os.statvfs(Path(database).resolve().parent)
    except OSError:
        return False
    return found.f_bavail * found.f_frsize < SPACE_LEFT_BYTES


def _private_file(database: str | None) -> None:
    """Create the database file owner-only, or take group and other permissions off an existing one."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    try:
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE)
    except FileExistsError:
        for existing in (path, Path(f"{database}-wal"), Path(f"{database}-shm")):
            try:
                mode = stat.S_IMODE(existing.stat().st_mode)
                if mode & 0o077:
                    existing.chmod(mode & 0o700)
            except FileNotFoundError:
                continue
    else:
        os.close(descriptor)


def is_sqlite(engine: Engine | Connection) -> bool:
    return engine.dialect.name == "sqlite"


def write_connection(engine: Engine) -> Connection:
    """The writer's own connection: out of the pool (its settings never reach a reader), its
    transactions begun for writing (``BEGIN IMMEDIATE`` on SQLite). On SQLite its temporary files are
    kept in memory: the journal of each act's savepoint would otherwise cost several file writes per act."""
    conn = engine.connect()
    conn.detach()
    conn.execution_options(**{WRITE_OPTION: True})
    if is_sqlite(conn):
        conn.connection.dbapi_connection.execute("PRAGMA temp_store = MEMORY")  # type: ignore[union-attr]
    return conn


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the sqlite3 module so BEGIN IMMEDIATE and savepoints work.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get(WRITE_OPTION):
            # the writer's, once per batch: on the driver's connection, which costs a fraction of the
            # Core execution layer (a failure reaches the writer as the driver's error)
            conn.connection.dbapi_connection.execute("BEGIN IMMEDIATE")  # type: ignore[union-attr]
        else:
            conn.exec_driver_sql("BEGIN")
