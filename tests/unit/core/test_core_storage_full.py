"""Which database errors mean a full disk (custody.db.engine.storage_full)."""

from __future__ import annotations

import sqlite3

from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError

from custody.db.engine import storage_full


def sqlite_error(message: str, code: int) -> sqlite3.OperationalError:
    error = sqlite3.OperationalError(message)
    error.sqlite_errorcode = code
    return error


class DiskFull(Exception):
    sqlstate = "53100"


def test_sqlite_full_and_postgresql_disk_full_mean_a_full_disk():
    assert storage_full(OperationalError("INSERT", {}, sqlite_error("database or disk is full", 13)))
    assert storage_full(DiskFull('could not extend file "base/1/2": No space left on device'))


def test_other_database_errors_do_not():
    assert not storage_full(OperationalError("SELECT", {}, sqlite_error("database is locked", 5)))
    assert not storage_full(OperationalError("SELECT", {}, Exception("connection refused")))


def test_a_disk_io_error_is_a_full_disk_only_when_the_file_system_has_no_space(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'x.sqlite'}")
    error = OperationalError("PRAGMA", {}, sqlite_error("disk I/O error", 10))
    assert not storage_full(error)  # no engine to ask
    assert not storage_full(error, engine)  # tmp_path has room
