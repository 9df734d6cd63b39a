"""`custody scanner …`: the barcode scanner driver from the command line.

``listen`` prints one JSON object a line for every scan and device event, as the station would
receive them. It imports only click and the driver (pyserial), so the port is open well within a
second of starting.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from typing import Any

import click

from devices.scanner import (
    Connected,
    Framing,
    PortSettings,
    Reconnected,
    Scan,
    ScannerError,
    ScannerSettingsError,
    SerialScanner,
    TriggerCommands,
    terminator,
)


def _bytes_option(ctx: click.Context, param: click.Parameter, value: str | None) -> bytes | None:
    if value is None:
        return None
    try:
        return terminator(value)
    except ScannerSettingsError as error:
        raise click.BadParameter(str(error)) from error


@click.group()
def scanner() -> None:
    """Barcode scanner on a serial port, a serial server (socket://) or the simulator's pty."""


@scanner.command()
@click.argument("url")
@click.option("--baud", type=click.IntRange(min=1), default=9600, show_default=True, help="Baud rate.")
@click.option("--parity", type=click.Choice(["N", "E", "O", "M", "S"]), default="N", show_default=True)
@click.option("--stopbits", type=click.Choice(["1", "1.5", "2"]), default="1", show_default=True)
@click.option("--bytesize", type=click.IntRange(5, 8), default=8, show_default=True)
@click.option("--prefix", callback=_bytes_option, help="Bytes before each frame: STX, ... or hex.")
@click.option(
    "--suffix",
    callback=_bytes_option,
    help="Frame end: CR, LF, CRLF, TAB or hex. [default: any of CR, LF, CRLF]",
)
@click.option("--aim", is_flag=True, help="Frames start with AIM symbology identifiers (]C0, ]Q1, ...).")
@click.option("--min-length", type=click.IntRange(min=1), default=4, show_default=True)
@click.option("--max-length", type=click.IntRange(min=1), default=512, show_default=True)
@click.option(
    "--idle-timeout",
    type=float,
    default=0.5,
    show_default=True,
    help="Seconds before a partial frame is dropped.",
)
@click.option(
    "--dedupe", type=float, default=0.0, show_default=True, help="Suppress the same code within SECONDS."
)
@click.option("--device", help="Device id carried by every event. [default: the URL]")
@click.option("--trigger", is_flag=True, help="Send the trigger command on connecting and after every scan.")
@click.option("--trigger-command", callback=_bytes_option, default="16540D", show_default=True)
@click.option("--untrigger-command", callback=_bytes_option, default="16550D", show_default=True)
@click.option("--count", type=click.IntRange(min=1), help="Exit after this many scans.")
def listen(
    url: str,
    baud: int,
    parity: str,
    stopbits: str,
    bytesize: int,
    prefix: bytes | None,
    suffix: bytes | None,
    aim: bool,
    min_length: int,
    max_length: int,
    idle_timeout: float,
    dedupe: float,
    device: str | None,
    trigger: bool,
    trigger_command: bytes,
    untrigger_command: bytes,
    count: int | None,
) -> None:
    """Print scans and device events from the scanner at URL, one JSON object a line.

    URL is anything pyserial opens: /dev/ttyUSB0, a stable symlink such as
    /dev/serial/by-id/..., socket://host:port, loop://. Unplugging is reported ("disconnected")
    and the port is reopened when it comes back ("reconnected").
    """
    try:
        framing = Framing(
            prefix=prefix or b"",
            suffix=suffix,
            aim=aim,
            min_length=min_length,
            max_length=max_length,
            idle_timeout=idle_timeout,
            quiet_gap=min(0.05, idle_timeout),
            duplicate_window=dedupe,
        )
        settings = PortSettings(
            url, baudrate=baud, bytesize=bytesize, parity=parity, stopbits=float(stopbits)
        )
    except ScannerSettingsError as error:
        raise click.UsageError(str(error)) from error
    driver = SerialScanner(
        settings, framing, device=device, trigger=TriggerCommands(trigger_command, untrigger_command)
    )
    signal.signal(signal.SIGTERM, _interrupt)
    scans = 0
    events = driver.events()
    try:
        for event in events:
            _print(event.to_json())
            if isinstance(event, Scan):
                scans += 1
                if count is not None and scans >= count:
                    break
            if trigger and isinstance(event, Scan | Connected | Reconnected):
                _trigger(driver)
    except KeyboardInterrupt:
        pass
    except BrokenPipeError:
        # The reader of our output went away (``| head``): nothing left to tell anyone.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    finally:
        events.close()  # closes the port
        driver.close()


def _print(record: dict[str, Any]) -> None:
    print(json.dumps(record, ensure_ascii=False), flush=True)


def _trigger(driver: SerialScanner) -> None:
    try:
        driver.trigger()
    except ScannerError as error:
        # The port went away between the event and the command; the driver reports the
        # disconnection itself and we trigger again when it is back.
        _print({"event": "error", "kind": "trigger_failed", "detail": str(error), "device": driver.device})


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
