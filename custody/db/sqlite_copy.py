"""Whole-file copies of an SQLite database through SQLite's online backup API (page by page, under the
database's own locking: a copy taken while the service writes is consistent), for backups and restores."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def copy_database(source: Path, target: Path, read_only: bool = False) -> int:
    """Copy the database ``source`` into ``target`` (0600); return the ledger head in the copy. Raises
    :class:`sqlite3.DatabaseError` when ``source`` is not an SQLite database with a ledger."""
    origin = sqlite3.connect(f"file:{source}?mode=ro", uri=True) if read_only else sqlite3.connect(source)
    try:
        origin.execute("SELECT 1 FROM custody_events LIMIT 1").fetchall()
        copy = sqlite3.connect(target)
        try:
            origin.backup(copy)
            found = copy.execute("SELECT COALESCE(MAX(seq), 0) FROM custody_events").fetchone()
        finally:
            copy.close()
    finally:
        origin.close()
    target.chmod(0o600)
    return int(found[0])
