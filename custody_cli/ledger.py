"""`custody ledger …` and `custody access-log …`: verify, export, replay and show the heads of the two
hash chains, the custody ledger and the access log.

``verify`` and ``head`` print counts and hashes only, never a record's content: they are the integrity
checks of whoever holds the database (an operator, an auditor with a copy) and work even when the
accounts are damaged. ``export`` and ``replay`` print every unit's records, so they need an authenticated
auditor or administrator of the province (``--as USER`` or ``custody login``).
"""

from __future__ import annotations

import sys
from typing import IO, TYPE_CHECKING

import click

from custody_cli.context import emit, fail, reports_errors, services

if TYPE_CHECKING:
    from custody.ledger import Head, Verification
    from custody.services import Custody


def _expected_head(text: str | None) -> Head | None:
    from custody.ledger import Head

    if not text:
        return None
    try:
        return Head.parse(text)
    except ValueError as bad:
        fail(str(bad), 2)
        raise  # unreachable: fail exits


def _province_reader(custody: Custody, act: str) -> None:
    """The acting user, authenticated, must be a province-level auditor or administrator: the command
    prints the records of every unit."""
    from custody.actors import require_province
    from custody.model import Role
    from custody_cli.context import acting_user

    require_province(acting_user(custody), {Role.AUDITOR, Role.ADMIN}, act)


def _report(result: Verification) -> None:
    emit(result.as_dict())
    sys.exit(0 if result.ok else 1)


_EXPECT_HEAD = click.option(
    "--expect-head",
    default=None,
    metavar="SEQ:HASH",
    help="A head recorded earlier (e.g. on a report): whether the history at or before SEQ still "
    "has it (head_mismatch), and events cut off the end.",
)


@click.group()
def ledger() -> None:
    """The custody ledger (append-only, hash-chained)."""


@ledger.command("verify")
@_EXPECT_HEAD
@click.option(
    "--expect-history",
    type=click.File("r", encoding="utf-8"),
    default=None,
    metavar="FILE",
    help="A history recorded earlier: `ledger export` output or lines SEQ:HASH; names the first seq "
    "whose hash differs (first_differing_seq).",
)
@reports_errors
def verify(expect_head: str | None, expect_history: IO[str] | None) -> None:
    """Recompute the whole chain; exit non-zero and say what differs if anything was altered."""
    from custody.ledger import parse_history

    expected = _expected_head(expect_head)
    history = None
    if expect_history is not None:
        try:
            history = parse_history(expect_history)
        except ValueError as bad:
            fail(f"{expect_history.name}: {bad}", 2)
    from custody_cli.progress import progress_bar

    with (
        services() as custody,
        progress_bar("verifying the ledger", lambda: custody.ledger.head().seq) as progress,
    ):
        result = custody.ledger.verify(expected, history, progress)
    _report(result)


@ledger.command("head")
@reports_errors
def head() -> None:
    """The newest event's seq and hash (reports carry it)."""
    with services() as custody:
        current = custody.ledger.head()
    emit({"seq": current.seq, "hash": current.hash, "head": str(current)})


@ledger.command("export")
@reports_errors
def export() -> None:
    """Every event as one JSON line, every column as stored (keep it to verify against later with
    `ledger verify --expect-history`)."""
    with services() as custody:
        _province_reader(custody, "export the ledger")
        with custody.ledger.export() as events:
            for event in events:
                emit(event)


@ledger.command("replay")
@reports_errors
def replay() -> None:
    """Rebuild every item's state from the ledger; exit non-zero on any difference with the stored state."""
    from custody_cli.progress import progress_bar

    with services() as custody:
        _province_reader(custody, "replay the ledger")
        with progress_bar("replaying the ledger", lambda: custody.ledger.head().seq) as progress:
            events, differences = custody.ledger.replay(progress)
    for difference in differences:
        emit(difference.as_dict())
    emit({"ok": not differences, "events": events, "differences": len(differences)})
    sys.exit(0 if not differences else 1)


@click.group("access-log")
def access_log() -> None:
    """The access log (append-only, hash-chained): every API request."""


@access_log.command("verify")
@_EXPECT_HEAD
@reports_errors
def verify_access_log(expect_head: str | None) -> None:
    """Recompute the access log's whole chain; exit non-zero and name the first bad seq if anything
    was altered or removed."""
    from custody.access_log import AccessLog

    expected = _expected_head(expect_head)
    with services() as custody:
        result = AccessLog(custody).verify(expected)
    _report(result)


@access_log.command("head")
@reports_errors
def access_log_head() -> None:
    """The newest entry's seq and hash."""
    from custody.access_log import AccessLog

    with services() as custody:
        current = AccessLog(custody).head()
    emit({"seq": current.seq, "hash": current.hash, "head": str(current)})
