"""`custody backup FILE` and `custody restore FILE`: a consistent copy of the whole database while the
service runs, and a restore into an empty database that is reported good only once its ledger verifies
and its tree is shown consistent with the latest checkpoint the province signed."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from custody_cli.context import emit, fail, reports_errors, services

SMALL_FILE = 1 << 20  # a signed note or a proof is a few kilobytes at most


def _small_text(path: Path) -> str:
    """A checkpoint note or proof file, refused (ValueError) past 1 MiB or when it is not UTF-8."""
    with path.open("rb") as source:
        raw = source.read(SMALL_FILE + 1)
    if len(raw) > SMALL_FILE:
        raise ValueError(f"over {SMALL_FILE} bytes: not a checkpoint note or proof")
    return raw.decode("utf-8")


@click.command("backup")
@click.argument("file", type=click.Path(path_type=Path))
@reports_errors
def backup(file: Path) -> None:
    """Write a backup of the database to FILE (new, 0600): SQLite's online backup, or pg_dump. It holds
    every unit's records: a province-level auditor or administrator makes it."""
    from custody.actors import require_province
    from custody.backups import backup as make_backup
    from custody.model import Role
    from custody_cli.context import acting_user

    with services() as custody:
        require_province(acting_user(custody), {Role.AUDITOR, Role.ADMIN}, "back up the database")
        made = make_backup(custody.engine, file)
    emit(made.__dict__)


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--checkpoint",
    "note",
    type=click.Path(exists=True, path_type=Path),
    help="The latest signed checkpoint (`checkpoint show --note`)",
)
@click.option("--key", default=None, help="The checkpoint verifier key (NAME+ID+BASE64)")
@click.option(
    "--proof",
    type=click.Path(exists=True, path_type=Path),
    help="The consistency proof from the backup's size (`checkpoint consistency N --size M`, JSON)",
)
@reports_errors
def restore(file: Path, note: Path | None, key: str | None, proof: Path | None) -> None:
    """Restore FILE into the configured database, which must be empty; verify its ledger and, with
    ``--checkpoint`` and ``--key``, prove it against that checkpoint. Exits non-zero unless proven."""
    from custody.backups import restore as load
    from custody.settings import Settings
    from custody.verify_export import Checkpoint, NoteVerifier

    checkpoint = None
    if (note is None) != (key is None):
        fail("--checkpoint and --key go together", 2)
    if note is not None and key is not None:
        try:
            checkpoint = Checkpoint.parse(NoteVerifier.parse(key).open(_small_text(note)))
        except ValueError as bad:
            fail(f"{note}: {bad}", 2)
    hashes = None
    if proof is not None:
        try:
            hashes = [bytes.fromhex(h) for h in json.loads(_small_text(proof))["proof"]]
        except (ValueError, KeyError, TypeError):
            fail(f"{proof}: not the JSON of `custody checkpoint consistency`", 2)
    restored = load(file, Settings().resolved_database_url(), checkpoint, hashes)
    emit({"ok": True, **{k: v for k, v in restored.__dict__.items() if v is not None}})
    sys.exit(0)
