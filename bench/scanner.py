"""Barcode scanner driver throughput on a real pseudo-terminal.

A simulated scanner in its own process writes a burst of codes to a pty, unpaced: the whole burst
offered to the kernel at once, so it takes bytes as fast as the reader drains them and the figure
measures the reader. The same run reads the bursts three ways, rounds alternating: through the
driver (``SerialScanner``: framing, checks, typed scans) and through a bare pyserial loop that only
splits on the suffix (``port.read(port.in_waiting or 1)``). Figure: codes/s from the first write to
the last code delivered, median of the rounds; the ratio is driver / bare. Every round must deliver
every code once and intact. The third reader is the bare loop reading the descriptor the way the
driver does (``devices.scanner.port.drain``: every queued chunk before splitting), to show how much of
the driver's speed is that way of reading: the driver's ratio to it is reported too.

Also: the same with the scanner writing one frame a write (a Python writer, so that figure is
bounded by the writer, not the readers); the driver's CPU time per code; the parser alone, fed
from memory; and a burst paced at 115200 baud (10 bits a byte), where the driver must keep up with
the line: the last code delivered within one frame time of the moment its last byte was due. And,
without a pty, every code sent at each common baud rate and read at each other one (the
simulator's UART model): how many of those garbles the parser delivered as scans. And how soon
`custody scanner listen` has its port open after being started.

    python -m bench scanner [--codes 10000] [--rounds 20] [--paced-codes 10000] [--baud 115200]
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import select
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from typing import Any

import serial

from bench._report import result, table
from custody.numbers import EvidenceNumber, ItemKind
from devices.scanner import FrameParser, Framing, PortSettings, Scan, ScannerEvent, SerialScanner
from devices.scanner.port import drain


def _codes(count: int) -> list[str]:
    kinds = list(ItemKind)
    return [str(EvidenceNumber(kinds[n % 4], "220100", 2026, n % 999_999 + 1)) for n in range(count)]


def _serve(conn: Connection, codes: list[str]) -> None:
    """The scanner's process: for each request, wait for a reader, write the burst, tell when."""
    from simulators.scanner import ScannerSimulator

    with ScannerSimulator(paced=False) as sim:
        conn.send(str(sim.link))
        while (request := conn.recv()) is not None:
            sim.paced, sim.baud, frame_a_write = request
            if not sim.wait_for_reader(timeout=60):
                conn.send(None)
                continue
            start, due = sim.burst(codes, frame_a_write=frame_a_write)
            sim.drain(timeout=60)
            conn.send((start, due))


class _Scanner:
    """The simulated scanner, in a process of its own so that writing does not share our CPU."""

    def __init__(self, codes: list[str]) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, there = context.Pipe()
        self.process = context.Process(target=_serve, args=(there, codes), daemon=True)
        self.process.start()
        self.link: str = self.conn.recv()

    def burst(
        self, read: Callable[[str], _Outcome], *, paced: bool, baud: int, frame_a_write: bool
    ) -> _Outcome:
        self.conn.send((paced, baud, frame_a_write))
        outcome = read(self.link)
        answer = self.conn.recv()
        if answer is None:
            raise RuntimeError("the simulated scanner never saw the port open")
        outcome.start, outcome.due = answer
        return outcome

    def close(self) -> None:
        self.conn.send(None)
        self.process.join(timeout=60)


@dataclass
class _Outcome:
    codes: list[str]
    end: float
    cpu: float = 0.0
    errors: int = 0
    scans: list[Scan] = field(default_factory=list)
    start: float = 0.0
    due: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return len(self.codes) / (self.end - self.start)


def _bare(count: int, baud: int) -> Callable[[str], _Outcome]:
    def read(link: str) -> _Outcome:
        lines: list[bytes] = []
        with serial.Serial(link, baud, timeout=0.05) as port:
            buffer = b""
            while len(lines) < count:
                buffer += port.read(port.in_waiting or 1)
                *complete, buffer = buffer.split(b"\r")
                lines.extend(complete)
            end = time.monotonic()
        return _Outcome([line.decode("ascii", "replace") for line in lines], end)

    return read


def _draining(count: int, baud: int) -> Callable[[str], _Outcome]:
    """The bare loop, reading the descriptor as the driver does (``drain``: all that is queued),
    then splitting."""

    def read(link: str) -> _Outcome:
        lines: list[bytes] = []
        with serial.Serial(link, baud, timeout=0.05) as port:
            fd, buffer = port.fd, b""
            while len(lines) < count:
                data = drain(fd)
                if not data:
                    select.select([fd], [], [], 0.05)
                    continue
                *complete, buffer = (buffer + data).split(b"\r")
                lines.extend(complete)
            end = time.monotonic()
        return _Outcome([line.decode("ascii", "replace") for line in lines], end)

    return read


def _driver(count: int, baud: int) -> Callable[[str], _Outcome]:
    def read(link: str) -> _Outcome:
        events: list[ScannerEvent] = []
        cpu = time.thread_time()
        with SerialScanner(PortSettings(link, baudrate=baud), Framing()) as scanner:
            for batch in scanner.batches():
                events.extend(batch)
                if len(events) > count:  # the scans and "connected" (an error would only add one)
                    break
            end = time.monotonic()
        cpu = time.thread_time() - cpu
        scans = [event for event in events if isinstance(event, Scan)]
        return _Outcome([scan.code for scan in scans], end, cpu, len(events) - len(scans) - 1, scans)

    return read


def _tally(expected: list[str], delivered: list[str]) -> tuple[int, int]:
    """(lost, corrupted): codes written but not delivered; codes delivered not as written (or twice)."""
    missing = Counter(expected) - Counter(delivered)
    extra = Counter(delivered) - Counter(expected)
    return sum(missing.values()), sum(extra.values())


def _parser_alone(codes: list[str]) -> tuple[float, float]:
    """codes/s of the parser and of a bare split, fed the burst from memory in 4 KiB reads."""
    stream = b"".join(code.encode() + b"\r" for code in codes)
    reads = [stream[i : i + 4095] for i in range(0, len(stream), 4095)]
    utc = datetime.now(UTC)
    best_parser = best_split = float("inf")
    for _ in range(5):
        parser, began = FrameParser(), time.perf_counter()
        scans = [scan for data in reads for scan in parser.feed(data, 1.0, utc)]
        best_parser = min(best_parser, time.perf_counter() - began)
        buffer, lines, began = b"", [], time.perf_counter()
        for data in reads:
            *complete, buffer = (buffer + data).split(b"\r")
            lines.extend(complete)
        best_split = min(best_split, time.perf_counter() - began)
        assert len(scans) == len(lines) == len(codes)
    return len(codes) / best_parser, len(codes) / best_split


def _wrong_baud(codes: list[str]) -> dict[str, int]:
    """Every code, sent at each common baud rate and read at each other one (the simulator's UART
    model), each after a pause, through the parser: how many garbles came out as scans."""
    from simulators.scanner_faults import misread_baud

    rates = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200]
    utc, garbled, delivered = datetime.now(UTC), 0, 0
    for sent_at in rates:
        for read_at in (rate for rate in rates if rate != sent_at):
            parser, now = FrameParser(), 0.0
            for code in codes:
                now += 1.0
                events = parser.feed(misread_baud(code.encode() + b"\r\n", sent_at, read_at), now, utc)
                events += parser.expire(now + 0.9, utc)
                garbled += 1
                delivered += sum(isinstance(event, Scan) for event in events)
    return {"garbled_scans": garbled, "delivered": delivered}


def _listen_start() -> dict[str, Any]:
    """How long `custody scanner listen` takes from being started to having the port open, and
    that its scan line comes out."""
    import subprocess
    import sys
    from pathlib import Path

    from simulators.scanner import ScannerSimulator

    custody = Path(sys.executable).parent / "custody"
    with ScannerSimulator(baud=115200) as sim:
        began = time.monotonic()
        command = [str(custody), "scanner", "listen", str(sim.link), "--baud", "115200", "--count", "1"]
        with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as listen:
            opened = sim.wait_for_reader(timeout=60)
            sim.scan("F220100202600012787")
            output, _ = listen.communicate(timeout=60)
    assert opened and sim.opened_at is not None, "custody scanner listen never opened the port"
    return {"open_s": round(sim.opened_at - began, 3), "scanned": '"F220100202600012787"' in output}


def _rounds(codes: list[str], rounds: int, baud: int, frame_a_write: bool) -> dict[str, Any]:
    scanner = _Scanner(codes)
    rates: dict[str, list[float]] = {"bare": [], "driver": [], "draining": []}
    cpu: list[float] = []
    lost = corrupted = errors = 0
    try:
        for round_ in range(rounds):
            # ABC then CBA, so that drift in the machine's load hits every reader alike.
            order = [("bare", _bare), ("driver", _driver), ("draining", _draining)]
            for name, reader in order if round_ % 2 == 0 else order[::-1]:
                # Each reader starts from a clean heap: the last round's 10,000 codes are freed before
                # the burst (not while it is timed), whichever reader made them.
                outcome = None
                gc.collect()
                outcome = scanner.burst(
                    reader(len(codes), baud), paced=False, baud=baud, frame_a_write=frame_a_write
                )
                rates[name].append(outcome.rate)
                missing, extra = _tally(codes, outcome.codes)
                lost, corrupted, errors = lost + missing, corrupted + extra, errors + outcome.errors
                if name == "driver":
                    cpu.append(outcome.cpu / len(codes))
    finally:
        scanner.close()
    return {
        "driver": statistics.median(rates["driver"]),
        "bare": statistics.median(rates["bare"]),
        "draining": statistics.median(rates["draining"]),
        "rounds": rates,
        "cpu_us": statistics.median(cpu) * 1e6,
        "lost": lost,
        "corrupted": corrupted,
        "errors": errors,
    }


def _paced(codes: list[str], baud: int) -> dict[str, Any]:
    scanner = _Scanner(codes)
    try:
        outcome = scanner.burst(_driver(len(codes), baud), paced=True, baud=baud, frame_a_write=True)
    finally:
        scanner.close()
    lost, corrupted = _tally(codes, outcome.codes)
    lags = sorted(scan.monotonic - due for scan, due in zip(outcome.scans, outcome.due, strict=False))
    frame_ms = (len(codes[-1]) + 1) * 10 / baud * 1000
    end_lag_ms = (outcome.end - outcome.due[-1]) * 1000
    return {
        "baud": baud,
        "codes": len(codes),
        "lost": lost,
        "corrupted": corrupted,
        "error_events": outcome.errors,
        "frame_ms": round(frame_ms, 3),
        "end_lag_ms": round(end_lag_ms, 3),
        "within_one_frame": end_lag_ms <= frame_ms,
        "lag_p50_ms": round(lags[len(lags) // 2] * 1000, 3),
        "lag_p99_ms": round(lags[int(len(lags) * 0.99)] * 1000, 3),
        "lag_max_ms": round(lags[-1] * 1000, 3),
        "line_codes_per_s": round(len(codes) / (outcome.due[-1] - outcome.start)),
        "delivered_codes_per_s": round(len(codes) / (outcome.end - outcome.start)),
    }


def _rates(figures: list[float]) -> str:
    return ", ".join(f"{rate:,.0f}" for rate in figures)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench scanner")
    parser.add_argument("--codes", type=int, default=10_000, help="codes in each unpaced burst")
    parser.add_argument("--rounds", type=int, default=20, help="unpaced rounds per reader")
    parser.add_argument("--paced-codes", type=int, default=10_000, help="codes in the paced burst")
    parser.add_argument("--baud", type=int, default=115_200, help="line rate of the paced burst")
    parser.add_argument("--garbled-codes", type=int, default=1_000, help="codes sent at each wrong baud rate")
    args = parser.parse_args(argv)

    codes = _codes(args.codes)
    whole = _rounds(codes, args.rounds, args.baud, frame_a_write=False)
    framewise = _rounds(codes, args.rounds, args.baud, frame_a_write=True)
    parser_rate, split_rate = _parser_alone(codes)
    paced = _paced(_codes(args.paced_codes), args.baud)
    gs1 = [
        f"]C10106901234567892\x1d10L{n:06d}\x1d21S{n * 7919 % 10**8:08d}"
        for n in range(args.garbled_codes // 2)
    ]
    wrong_baud = _wrong_baud(_codes(args.garbled_codes - len(gs1)) + gs1)
    listen = _listen_start()
    lost = whole["lost"] + framewise["lost"] + paced["lost"]
    corrupted = whole["corrupted"] + framewise["corrupted"] + paced["corrupted"]
    errors = whole["errors"] + framewise["errors"] + paced["error_events"]
    ratio = whole["driver"] / whole["bare"]

    print(f"scanner: {args.codes} codes a burst (evidence numbers, CR), {args.rounds} rounds a reader, pty")
    table(
        [
            (
                "driver, burst offered whole",
                f"{whole['driver']:,.0f} codes/s  ({_rates(whole['rounds']['driver'])})",
            ),
            (
                "bare pyserial loop, same",
                f"{whole['bare']:,.0f} codes/s  ({_rates(whole['rounds']['bare'])})",
            ),
            ("ratio driver / bare", f"{ratio:.2f}"),
            (
                "bare loop reading as the driver does",
                f"{whole['draining']:,.0f} codes/s, driver / it {whole['driver'] / whole['draining']:.2f}",
            ),
            ("driver CPU per code", f"{whole['cpu_us']:.2f} µs"),
            (
                "driver, one frame a write",
                f"{framewise['driver']:,.0f} codes/s (bare {framewise['bare']:,.0f})",
            ),
            ("parser alone, from memory", f"{parser_rate:,.0f} codes/s (bare split {split_rate:,.0f})"),
            ("lost / corrupted / error events", f"{lost} / {corrupted} / {errors}"),
            (f"paced burst at {args.baud} baud", f"{paced['codes']} codes, {paced['lost']} lost"),
            (
                "  line rate / delivered",
                f"{paced['line_codes_per_s']:,} / {paced['delivered_codes_per_s']:,} codes/s",
            ),
            (
                "  last code after it was due",
                f"{paced['end_lag_ms']:.2f} ms (one frame: {paced['frame_ms']:.2f} ms)",
            ),
            (
                "  lag p50 / p99 / max",
                f"{paced['lag_p50_ms']} / {paced['lag_p99_ms']} / {paced['lag_max_ms']} ms",
            ),
        ]
    )
    result(
        "scanner",
        round(whole["driver"]),
        "codes/s",
        round(whole["bare"]),
        round(ratio, 3),
        codes=args.codes,
        rounds=args.rounds,
        lost=lost,
        corrupted=corrupted,
        error_events=errors,
        cpu_us_per_code=round(whole["cpu_us"], 3),
        draining_bare={
            "codes_per_s": round(whole["draining"]),
            "ratio": round(whole["driver"] / whole["draining"], 3),
        },
        frame_a_write={"driver": round(framewise["driver"]), "bare": round(framewise["bare"])},
        parser_alone={"parser": round(parser_rate), "split": round(split_rate)},
        paced=paced,
        wrong_baud=wrong_baud,
        listen=listen,
    )
    clean = lost == corrupted == errors == wrong_baud["delivered"] == 0
    return 0 if clean and listen["scanned"] else 1
