"""`custody sim scanner`: a simulated barcode scanner on a pseudo-terminal, started by hand.

The first line printed is the port to open (a stable symlink to the pty); what the scanner does
afterwards goes to stderr, one JSON object a line. Codes default to sample evidence numbers.
"""

from __future__ import annotations

import itertools
import json
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import click

from custody.numbers import EvidenceNumber, ItemKind
from simulators.scanner import ScannerSimulator

MODES = ("clean", "split", "noise", "wrong-baud", "unplug", "burst", "trigger")
TRIGGER = b"\x16T\r"


def _sample_codes() -> Iterator[str]:
    kinds = itertools.cycle(ItemKind)
    for sequence in itertools.count(1):
        yield str(EvidenceNumber(next(kinds), "220100", 2026, sequence))


def _tell(**record: object) -> None:
    print(json.dumps(record, ensure_ascii=False), file=sys.stderr, flush=True)


@click.command("scanner")
@click.option(
    "--mode", type=click.Choice(MODES), default="clean", show_default=True, help="How the scanner behaves."
)
@click.option(
    "--link",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Symlink to create. [default: in a temp dir]",
)
@click.option(
    "--baud", type=click.IntRange(min=1), default=9600, show_default=True, help="Line rate (pacing)."
)
@click.option(
    "--sent-at", type=click.IntRange(min=1), help="wrong-baud: the scanner's real rate. [default: baud / 2]"
)
@click.option("--aim", default="", help="AIM identifier before each code, e.g. ]C0.")
@click.option(
    "--code", "codes", multiple=True, help="A code to scan (repeat; cycled). [default: evidence numbers]"
)
@click.option("--count", type=click.IntRange(min=0), default=0, help="Stop after this many scans (0: never).")
@click.option("--interval", type=float, default=1.0, show_default=True, help="Seconds between scans.")
@click.option("--burst-size", type=click.IntRange(min=1), default=10_000, show_default=True)
@click.option("--unplug-every", type=click.IntRange(min=1), default=5, show_default=True)
@click.option("--down-for", type=float, default=2.0, show_default=True, help="unplug: seconds unplugged.")
@click.option("--no-pacing", is_flag=True, help="Write as fast as the pty takes it.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the noise.")
@click.option(
    "--linger",
    type=click.FloatRange(min=0),
    default=2.0,
    show_default=True,
    help="After the last scan, keep the port open this long unless the reader closes it first.",
)
def scanner_sim(
    mode: str,
    link: Path | None,
    baud: int,
    sent_at: int | None,
    aim: str,
    codes: tuple[str, ...],
    count: int,
    interval: float,
    burst_size: int,
    unplug_every: int,
    down_for: float,
    no_pacing: bool,
    seed: int,
    linger: float,
) -> None:
    """Start a simulated scanner and print its port path; it scans once a reader opens the port.

    Modes: clean; split (byte by byte); noise (every third scan hit by noise, every fifth
    preceded by a noise burst and a second of quiet); wrong-baud (sent at --sent-at, garbled as
    the port reads it); unplug (unplugged every --unplug-every scans, back after --down-for s
    behind the same link); burst (--burst-size codes back to back); trigger (one scan per
    SYN T CR trigger command). After the last scan (--count) the port stays open until the
    reader closes it, or for --linger seconds: a real scanner never hangs up on its reader.
    """
    sim = ScannerSimulator(link, baud=baud, paced=not no_pacing, seed=seed)
    path = sim.open()
    print(path, flush=True)
    signal.signal(signal.SIGTERM, _interrupt)
    source = itertools.cycle(codes) if codes else _sample_codes()
    try:
        _tell(event="waiting", port=str(path), pty=sim.device)
        while not sim.wait_for_reader(timeout=3600):
            pass
        _play(
            sim,
            mode,
            source,
            count,
            interval,
            burst_size,
            sent_at or max(1, baud // 2),
            unplug_every,
            down_for,
            aim,
        )
        closed_by_reader = sim.linger(linger)
        _tell(event="done", closed_by_reader=closed_by_reader)
    except KeyboardInterrupt:
        pass
    finally:
        sim.close()


def _play(
    sim: ScannerSimulator,
    mode: str,
    source: Iterator[str],
    count: int,
    interval: float,
    burst_size: int,
    sent_at: int,
    unplug_every: int,
    down_for: float,
    aim: str,
) -> None:
    for n in itertools.count(1) if not count else range(1, count + 1):
        if mode == "burst":
            batch = list(itertools.islice(source, burst_size))
            sim.burst(batch, aim=aim)
            _tell(event="burst", codes=len(batch), first=batch[0], last=batch[-1])
            sim.idle(interval)
            continue
        code = next(source)
        if mode == "trigger":
            while not sim.wait_for_command(TRIGGER, timeout=3600):
                pass
        if mode == "noise" and n % 5 == 0:
            _tell(event="noise", bytes=sim.noise(8).hex())
            sim.idle(max(interval, 1.0))  # long enough for a reader to drop it as an idle partial frame
        if mode == "noise" and n % 3 == 0:
            _tell(event="sent", code=code, damaged=sim.scan_with_noise(code, aim=aim).hex())
        elif mode == "wrong-baud":
            _tell(
                event="sent",
                code=code,
                sent_at=sent_at,
                garbled=sim.scan_at_baud(code, sent_at, aim=aim).hex(),
            )
        else:
            sim.scan(code, aim=aim, split=mode == "split")
            _tell(event="sent", code=code)
        if mode == "unplug" and n % unplug_every == 0:
            sim.unplug()
            _tell(event="unplugged")
            time.sleep(down_for)
            sim.replug()
            _tell(event="replugged", port=str(sim.link), pty=sim.device)
            while not sim.wait_for_reader(timeout=3600):
                pass
        sim.idle(interval)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
