"""`custody sim tag`: a virtual NFC tag behind pcscd's vpcd reader, present until stopped."""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType

import click

from simulators.pcscd import Pcscd, PcscdError
from simulators.tag import VPCD_PORTS, VirtualTag
from simulators.tag_console import TagConsole
from simulators.tag_memory import MODELS


def _uid(value: str | None) -> bytes | None:
    if value is None:
        return None
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not hexadecimal", param_hint="--uid") from None


@click.command("tag")
@click.option("--type", "kind", type=click.Choice(list(MODELS)), default="ntag215", show_default=True)
@click.option("--text", help="Text record already on the tag (e.g. an evidence number).")
@click.option("--uid", "uid_hex", metavar="HEX", help="UID: 7 bytes (NTAG), 4 (classic4); default random.")
@click.option(
    "--slot", type=click.IntRange(0, 1), default=0, show_default=True, help="vpcd slot: port 35963 + SLOT."
)
@click.option("--locked", is_flag=True, help="A read-only tag (CC and lock bits).")
@click.option("--tamper-open", is_flag=True, help="NTAG 213 TT with its tamper loop cut (a broken seal).")
@click.option("--generic-reader", is_flag=True, help="Play a reader without ACR122U direct transmit.")
@click.option("--silent-version", is_flag=True, help="The tag does not answer GET_VERSION.")
@click.option("--off", "start_off", is_flag=True, help="Start off the reader (send 'on' to present it).")
@click.option(
    "--pcscd/--no-pcscd",
    "start_pcscd",
    default=True,
    show_default=True,
    help="Start pcscd (as a child) when none is running.",
)
def sim_tag(
    kind: str,
    text: str | None,
    uid_hex: str | None,
    slot: int,
    locked: bool,
    tamper_open: bool,
    generic_reader: bool,
    silent_version: bool,
    start_off: bool,
    start_pcscd: bool,
) -> None:
    """Present a virtual tag to vpcd until stopped (Ctrl-C or 'quit').

    Reads commands on stdin (on, off, tamper, mend, cut-read N, cut-write N, status, quit) and
    answers each with a JSON line. vpcd listens on all interfaces: for the demo and tests only.
    """
    uid = _uid(uid_hex)
    daemon = Pcscd()
    try:
        if start_pcscd:
            daemon.start()
        tag = VirtualTag(
            kind,
            uid=uid,
            text=text,
            locked=locked,
            reader="generic" if generic_reader else "acr122u",
            answers_get_version=not silent_version,
            port=VPCD_PORTS[slot],
        )
    except (PcscdError, ValueError) as error:
        raise click.ClickException(str(error)) from None
    if tamper_open:
        tag.open_tamper_loop(repower=False)
    stopping = threading.Event()
    console = TagConsole(tag, sys.stdout, stopping.set)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        console.announce()
        if not start_off:
            console.handle("on")
        threading.Thread(target=console.serve, args=(sys.stdin,), name="tag-console", daemon=True).start()
        stopping.wait()
    finally:
        tag.close()
        console.say("stopped")
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if daemon.owned:
            daemon.stop()
