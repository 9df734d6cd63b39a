"""Backups of the whole database and restores that are only called good once they are proven.

``backup`` writes a consistent copy while the service runs: SQLite's online backup API (page by page,
under the database's own locking, so acts committed meanwhile are either in the copy or after it), or
``pg_dump`` in its custom format on PostgreSQL (one snapshot). Everything kept in the database (the
ledger, the access log, checkpoints, photos and attachments) is in it; the checkpoint signing key is not.

``restore`` loads a backup into an empty database, brings its schema up to date, and proves it: the
ledger's hash chain must verify, and its tree must be consistent with a checkpoint given from outside the
backup (the latest one the province signed): either the restored ledger reaches the checkpoint's size
and rebuilds its root, or a consistency proof (from the live service: ``custody checkpoint consistency``)
shows the restored tree is a prefix of it, and the report says how many checkpointed events the backup
lacks.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import Engine, make_url

from custody.db.engine import make_engine
from custody.db.ledger_store import raw_rows, verify_ledger
from custody.db.migrate import upgrade
from custody.db.sqlite_copy import copy_database
from custody.errors import InvalidInput, LedgerError, Message
from custody.ledger import HASHED_COLUMNS
from custody.verify_export import Checkpoint, CompactRange, encode_event, leaf_hash, verify_consistency

TARGET_EXISTS = Message("backup.target_exists", "{path} exists: a backup never overwrites a file")
NOT_EMPTY = Message("backup.target_not_empty", "the database to restore into is not empty ({tables} tables)")
TOOL_FAILED = Message("backup.tool_failed", "{tool} failed: {reason}")
NOT_A_BACKUP = Message("backup.not_a_backup", "{path} is not a backup of this service: {reason}")
NOT_PROVEN = Message(
    "backup.not_proven",
    "the restored ledger is not proven against the checkpoint of size {size}: {reason}",
)


@dataclass(frozen=True)
class BackupMade:
    path: str
    bytes: int
    sha256: str
    head_seq: int | None  # the ledger head in the backup (SQLite; PostgreSQL: at the restore)


@dataclass(frozen=True)
class Restored:
    """A restore that verified: its ledger head, and against the checkpoint (if one was given) how many
    checkpointed events the backup lacks (``missing``) and how the tree was shown consistent."""

    events: int
    head: str
    checkpoint_size: int | None = None
    missing: int | None = None
    proven_by: str | None = None  # "root" (the backup reaches the checkpoint) or "consistency-proof"


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _libpq(engine: Engine) -> tuple[str, dict[str, str]]:
    """The database's libpq URL without its password, and an environment carrying the password (so it
    never shows in a process listing)."""
    url = engine.url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(tool: str, arguments: Sequence[str], env: dict[str, str]) -> None:
    try:
        done = subprocess.run([tool, *arguments], env=env, capture_output=True, text=True, check=False)
    except OSError as failed:
        raise InvalidInput(TOOL_FAILED, "tool", tool=tool, reason=str(failed)) from None
    if done.returncode != 0:
        reason = (done.stderr or done.stdout).strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        raise InvalidInput(TOOL_FAILED, "tool", tool=tool, reason=reason[0][:300])


def backup(engine: Engine, target: Path) -> BackupMade:
    """A consistent copy of the database in ``target`` (a new file)."""
    if target.exists():
        raise InvalidInput(TARGET_EXISTS, "file", path=str(target))
    head: int | None = None
    if engine.dialect.name == "sqlite":
        head = copy_database(Path(str(engine.url.database)), target)
    else:
        url, env = _libpq(engine)
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(descriptor)
        _run("pg_dump", ["--format=custom", "--no-owner", f"--file={target}", url], env)
    return BackupMade(str(target), target.stat().st_size, _file_sha256(target), head)


def restore(
    source: Path,
    url: str,
    checkpoint: Checkpoint | None = None,
    proof: Sequence[bytes] | None = None,
) -> Restored:
    """Load the backup ``source`` into the empty database at ``url``, upgrade its schema, verify its
    ledger and prove it against ``checkpoint`` (with ``proof``, the consistency proof from the
    restored size to the checkpoint's, when the backup is older than the checkpoint)."""
    if not source.is_file():
        raise InvalidInput(NOT_A_BACKUP, "file", path=str(source), reason="no such file")
    engine = make_engine(url)
    try:
        tables = inspect(engine).get_table_names()
        if tables:
            raise InvalidInput(NOT_EMPTY, "database", tables=len(tables))
        if engine.dialect.name == "sqlite":
            engine.dispose()
            _restore_sqlite(source, Path(str(make_url(url).database)))
        else:
            target, env = _libpq(engine)
            _run("pg_restore", ["--no-owner", "--exit-on-error", f"--dbname={target}", str(source)], env)
        upgrade(engine)
        verified = verify_ledger(engine)
        if not verified.ok:
            raise LedgerError(
                NOT_PROVEN, size=0, reason=f"its ledger does not verify at seq {verified.first_bad_seq}"
            )
        restored = Restored(verified.events, str(verified.head))
        if checkpoint is None:
            return restored
        return _proven(engine, restored, checkpoint, proof)
    finally:
        engine.dispose()


def _restore_sqlite(source: Path, target: Path) -> None:
    try:
        copy_database(source, target, read_only=True)
    except sqlite3.DatabaseError as failed:
        raise InvalidInput(NOT_A_BACKUP, "file", path=str(source), reason=str(failed)) from None


def _proven(
    engine: Engine, restored: Restored, checkpoint: Checkpoint, proof: Sequence[bytes] | None
) -> Restored:
    size = checkpoint.size
    tree, at_checkpoint = CompactRange(), None
    statement = f"SELECT {', '.join(HASHED_COLUMNS)} FROM custody_events ORDER BY seq"  # noqa: S608
    with raw_rows(engine, statement) as rows:
        for row in rows:
            tree.append(leaf_hash(encode_event(row)))
            if tree.size == size:
                at_checkpoint = tree.root()
    if at_checkpoint is not None:
        if at_checkpoint != checkpoint.root:
            raise LedgerError(NOT_PROVEN, size=size, reason="its tree at that size has another root")
        return Restored(restored.events, restored.head, size, 0, "root")
    if proof is None:
        reason = f"the backup ends at seq {tree.size}: give the consistency proof from {tree.size}"
        raise LedgerError(NOT_PROVEN, size=size, reason=reason)
    if tree.size == 0 or not verify_consistency(tree.size, size, proof, tree.root(), checkpoint.root):
        raise LedgerError(NOT_PROVEN, size=size, reason="the consistency proof does not verify")
    return Restored(restored.events, restored.head, size, size - tree.size, "consistency-proof")
