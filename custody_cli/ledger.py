"""`custody ledger …`: verify, replay and show the head of the hash-chained custody ledger."""

from __future__ import annotations

import sys

import click

from custody_cli.context import emit, fail, reports_errors, services


@click.group()
def ledger() -> None:
    """The custody ledger (append-only, hash-chained)."""


@ledger.command("verify")
@click.option(
    "--expect-head",
    default=None,
    metavar="SEQ:HASH",
    help="A head recorded earlier (e.g. on a report): also catches events cut off the end.",
)
@reports_errors
def verify(expect_head: str | None) -> None:
    """Recompute the whole chain; exit non-zero and name the first bad seq if anything was altered."""
    from custody.ledger import Head

    expected = None
    if expect_head:
        try:
            expected = Head.parse(expect_head)
        except ValueError as bad:
            fail(str(bad), 2)
    with services() as custody:
        result = custody.verify(expected)
    emit(result.as_dict())
    sys.exit(0 if result.ok else 1)


@ledger.command("head")
@reports_errors
def head() -> None:
    """The newest event's seq and hash (reports carry it)."""
    with services() as custody:
        current = custody.head()
    emit({"seq": current.seq, "hash": current.hash, "head": str(current)})


@ledger.command("replay")
@reports_errors
def replay() -> None:
    """Rebuild every item's state from the ledger; exit non-zero on any difference with the stored state."""
    from custody.replay import replay as run_replay

    with services() as custody:
        events, differences = run_replay(custody.engine)
    for difference in differences:
        emit(difference.as_dict())
    emit({"ok": not differences, "events": events, "differences": len(differences)})
    sys.exit(0 if not differences else 1)
