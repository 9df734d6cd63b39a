"""`custody tag …`: watch the RFID/NFC readers, write an evidence number to a tag.

Both speak JSON lines on stdout, one object per event, so that a person can read them as they would
``pcsc_scan`` and a script can parse them.
"""

from __future__ import annotations

import json
import queue
import sys
import time
from collections.abc import Callable

import click

from custody.errors import InvalidEvidenceNumber
from custody.numbers import EvidenceNumber
from devices.rfid import PcscContext, TagEvent, TagMonitor, open_tag, wait_for_tag
from devices.rfid.errors import RfidError


def _print(record: dict[str, object]) -> None:
    click.echo(json.dumps(record, ensure_ascii=False))
    sys.stdout.flush()


@click.group()
def tag() -> None:
    """RFID/NFC tags on PC/SC readers (through pcscd)."""


@tag.command()
@click.option("--reader", metavar="NAME", help="Only readers whose name contains NAME.")
@click.option("--count", type=click.IntRange(min=1), help="Stop after this many events.")
@click.option("--timeout", type=click.FloatRange(min=0), help="Stop after this many seconds.")
def watch(reader: str | None, count: int | None, timeout: float | None) -> None:
    """One JSON line per tag arrival, removal, reader change or error, until Ctrl-C.

    \b
    {"event": "arrived", "uid": "04A1…", "type": "NTAG215", "text": "F2201…", "tamper": null, …}
    {"event": "removed", "uid": "04A1…", …}
    {"event": "error", "kind": "tag_removed", "message": "…", …}
    """
    events: queue.Queue[TagEvent] = queue.Queue()
    deadline = None if timeout is None else time.monotonic() + timeout
    printed = 0
    with TagMonitor(events.put, reader=reader):
        try:
            while count is None or printed < count:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    break
                try:
                    event = events.get(timeout=remaining)
                except queue.Empty:
                    break
                _print(event.to_json())
                printed += 1
        except KeyboardInterrupt:
            pass


@tag.command()
@click.argument("evidence_number")
@click.option("--reader", metavar="NAME", help="The reader whose name contains NAME (default: any).")
@click.option(
    "--wait", type=click.FloatRange(min=0), default=10.0, show_default=True, help="Seconds to wait for a tag."
)
@click.option("--no-check", is_flag=True, help="Write the text as given (e.g. a seal number), unchecked.")
@click.pass_context
def write(ctx: click.Context, evidence_number: str, reader: str | None, wait: float, no_check: bool) -> None:
    """Write EVIDENCE_NUMBER to the tag on the reader as NDEF, then read it back.

    With an acting user (``custody --as USER tag write …``) the item is looked up first (an unknown item
    is refused before the tag is touched) and, once the number reads back, the tag is bound to the item:
    a ``tag_bound`` custody event with the tag's UID. Prints {"event": "written", …, "bound": …} with
    what was read back, or {"event": "error", "kind": …} and exits with status 1 (no tag, tag locked or
    too small, tag removed during the write, unknown item, …).
    """
    text = evidence_number.strip()
    if not no_check:
        try:
            text = str(EvidenceNumber.parse(text))
        except InvalidEvidenceNumber as error:
            raise click.BadParameter(str(error), param_hint="EVIDENCE_NUMBER") from None
    binding = _binding(text) if _has_acting_user(ctx) and not no_check else None
    try:
        with PcscContext() as context:
            name = wait_for_tag(context, reader, wait)
            with open_tag(context, name) as handle:
                reading = handle.write_text(text)
    except RfidError as error:
        _print({"event": "error", "kind": error.kind, "reader": error.reader, "message": error.message})
        click.echo(f"custody tag write: {error.message}", err=True)
        sys.exit(1)
    record: dict[str, object] = {"event": "written", **reading.to_json(), "bound": False}
    if binding is not None:
        record.update(bound=True, **binding(reading.uid_hex, reading.type.name))
    else:
        click.echo(
            "custody tag write: not bound to an item (name the acting user with --as to bind it)", err=True
        )
    _print(record)


def _has_acting_user(ctx: click.Context) -> bool:
    """An acting user is named (``--as``, ``CUSTODY_USER``) or kept by ``custody login``."""
    from custody.settings import Settings

    return bool((ctx.find_root().obj or {}).get("acting_user")) or Settings().resolved_session_file().exists()


def _binding(number: str) -> Callable[[str, str], dict[str, object]]:
    """Authenticate the acting user and check the item now (before the tag is written); return what
    records the binding afterwards, as that same user."""
    from custody.errors import CustodyError
    from custody_cli.context import acting_user, fail, services

    try:
        with services() as custody:
            actor = acting_user(custody)
            custody.items.item(actor, number)
    except CustodyError as refused:
        fail(str(refused))

    def bind(uid: str, tag_type: str) -> dict[str, object]:
        try:
            with services() as custody:
                current = custody.items.item(actor, number)
                after = custody.items.bind_tag(actor, number, current.version, uid, tag_type)
        except CustodyError as refused:
            _print({"event": "error", "kind": "not_bound", "message": str(refused)})
            fail(f"the tag was written but not bound: {refused}")
        return {"item_version": after.version}

    return bind
