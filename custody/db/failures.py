"""What a failure of the database means, for the entry points (the API, the commands), which tell
failures apart without knowing the database library or its drivers.

- :data:`DATABASE_UNAVAILABLE`: the database cannot be reached or written (SQLAlchemy's error, or the
  driver's own where a prepared statement runs on the driver's cursor, :mod:`custody.db.prepared`);
- :data:`DATABASE_FAILURES`: any failure of the database or its drivers;
- :data:`CONSTRAINT_VIOLATED`: a write refused by a constraint of the schema (a unique key taken
  meanwhile by a concurrent write);
- :data:`STATEMENT_FAILED`, :func:`schema_missing`, :func:`driver_message`: a statement the database
  could not run (through SQLAlchemy or on the driver's own cursor), whether it failed because the
  schema is not there, and the driver's own words.

A full disk is told by :func:`custody.db.engine.storage_full`.
"""

from __future__ import annotations

import sqlite3

import psycopg
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError, SQLAlchemyError

DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    OperationalError,
    sqlite3.OperationalError,
    psycopg.OperationalError,
)
DATABASE_FAILURES: tuple[type[Exception], ...] = (SQLAlchemyError, *DATABASE_UNAVAILABLE)
CONSTRAINT_VIOLATED: tuple[type[Exception], ...] = (IntegrityError,)
STATEMENT_FAILED: tuple[type[Exception], ...] = (
    OperationalError,
    ProgrammingError,
    sqlite3.OperationalError,
    psycopg.OperationalError,
    psycopg.ProgrammingError,
)


def driver_message(error: BaseException) -> str:
    """The driver's own message of ``error`` (SQLAlchemy wraps it), else the error's."""
    original = getattr(error, "orig", None)
    return str(original) if original is not None else str(error)


def schema_missing(error: BaseException) -> bool:
    """Whether a statement failed because its table is not there (no schema yet)."""
    message = driver_message(error)
    return "no such table" in message or "does not exist" in message
