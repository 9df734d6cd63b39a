"""Barcode scanner driver throughput on a real pseudo-terminal.

A simulated scanner, in its own process, writes a burst of codes to a pty as fast as the kernel
takes them (one frame a write, no pacing), and the same run reads it two ways, rounds alternating:
through the driver (``SerialScanner``: framing, checks, typed scans) and through a bare pyserial
loop that only splits on the suffix. Figure: codes/s delivered, from the first write to the last
code, median of the rounds; the ratio is driver / bare. Every round must deliver every code intact.

Then a burst paced at 115200 baud (10 bits a byte): the driver must keep up with the line, the last
code delivered within one frame time of the moment its last byte was due. And the driver's CPU time
per code in the unpaced rounds.

    python -m bench scanner [--codes 10000] [--rounds 5] [--paced-codes 10000] [--baud 115200]
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import time
from collections import Counter
from multiprocessing.connection import Connection
from typing import Any

import serial

from bench._report import result, table
from custody.numbers import EvidenceNumber, ItemKind
from devices.scanner import Framing, PortSettings, Scan, ScannerEvent, SerialScanner


def _codes(count: int) -> list[str]:
    kinds = list(ItemKind)
    return [str(EvidenceNumber(kinds[i % len(kinds)], "220100", 2026, i % 999_999 + 1)) for i in range(count)]


def _simulate(conn: Connection, codes: list[str]) -> None:
    """The scanner's process: for each request, wait for a reader, burst, report when it started."""
    from simulators.scanner import ScannerSimulator

    with ScannerSimulator(paced=False) as sim:
        conn.send(str(sim.link))
        while (request := conn.recv()) is not None:
            sim.paced, sim.baud, frame_a_write = request
            if not sim.wait_for_reader(timeout=30):
                conn.send(None)
                continue
            start, due = sim.burst(codes, frame_a_write=frame_a_write)
            sim.drain(timeout=30)
            conn.send((start, due))


def _tally(expected: list[str], delivered: list[str]) -> tuple[int, int]:
    """(lost, corrupted): codes written but not delivered once; codes delivered that were not written
    (or delivered again)."""
    missing = Counter(expected) - Counter(delivered)
    extra = Counter(delivered) - Counter(expected)
    return sum(missing.values()), sum(extra.values())


def _read_bare(link: str, count: int, baud: int) -> dict[str, Any]:
    delivered: list[bytes] = []
    with serial.Serial(link, baud, timeout=0.05) as port:
        buffer = b""
        while len(delivered) < count:
            buffer += port.read(port.in_waiting or 1)
            *lines, buffer = buffer.split(b"\r")
            delivered.extend(lines)
        end = time.monotonic()
    return {"end": end, "codes": [line.decode("ascii", "replace") for line in delivered], "errors": 0, "cpu": 0.0}


def _read_driver(link: str, count: int, baud: int) -> dict[str, Any]:
    events: list[ScannerEvent] = []
    scanner = SerialScanner(PortSettings(link, baudrate=baud), Framing())
    cpu = time.thread_time()
    with scanner:
        for batch in scanner.batches():
            events.extend(batch)
            if len(events) >= count + 1:  # the scans and the "connected" event
                break
        end = time.monotonic()
    cpu = time.thread_time() - cpu
    scans = [event for event in events if isinstance(event, Scan)]
    errors = len(events) - len(scans) - 1
    return {"end": end, "codes": [scan.code for scan in scans], "errors": errors, "cpu": cpu, "scans": scans}


def _round(conn: Connection, reader: Any, count: int, paced: bool, baud: int) -> dict[str, Any]:
    conn.send((paced, baud, FRAME_A_WRITE))
    link = _link
    outcome = reader(link, count, baud)
    answer = conn.recv()
    if answer is None:
        raise RuntimeError("the simulated scanner never saw the reader open the port")
    outcome["start"], outcome["due"] = answer
    outcome["rate"] = count / (outcome["end"] - outcome["start"])
    return outcome


_link = ""
import os

FRAME_A_WRITE = os.environ.get('FAW') == '1'


def main(argv: list[str]) -> int:
    global _link
    parser = argparse.ArgumentParser(prog="python -m bench scanner")
    parser.add_argument("--codes", type=int, default=10_000, help="codes per unpaced burst")
    parser.add_argument("--rounds", type=int, default=5, help="unpaced rounds per reader")
    parser.add_argument("--paced-codes", type=int, default=10_000, help="codes in the paced burst")
    parser.add_argument("--baud", type=int, default=115_200, help="line rate of the paced burst")
    args = parser.parse_args(argv)

    codes = _codes(args.codes)
    paced_codes = _codes(args.paced_codes)
    context = multiprocessing.get_context("spawn")
    figures: dict[str, list[float]] = {"bare": [], "driver": [], "cpu": []}
    lost = corrupted = errors = 0
    here, there = context.Pipe()
    simulator = context.Process(target=_simulate, args=(there, codes), daemon=True)
    simulator.start()
    try:
        _link = here.recv()
        for _ in range(args.rounds):
            for name, reader in (("bare", _read_bare), ("driver", _read_driver)):
                outcome = _round(here, reader, args.codes, False, args.baud)
                figures[name].append(outcome["rate"])
                missing, extra = _tally(codes, outcome["codes"])
                lost, corrupted = lost + missing, corrupted + extra
                if name == "driver":
                    errors += outcome["errors"]
                    figures["cpu"].append(outcome["cpu"] / args.codes)
        here.send(None)
    finally:
        simulator.join(timeout=30)
    paced = _paced(context, paced_codes, args.baud)
    lost, corrupted = lost + paced["lost"], corrupted + paced["corrupted"]

    driver, bare = statistics.median(figures["driver"]), statistics.median(figures["bare"])
    cpu_us = statistics.median(figures["cpu"]) * 1e6
    print(f"scanner: {args.codes} codes a burst, {args.rounds} rounds a reader, pty, 2 processes")
    table(
        [
            ("driver (codes/s)", f"{driver:,.0f}  (rounds: {', '.join(f'{r:,.0f}' for r in figures['driver'])})"),
            ("bare pyserial loop (codes/s)", f"{bare:,.0f}  (rounds: {', '.join(f'{r:,.0f}' for r in figures['bare'])})"),
            ("ratio driver / bare", f"{driver / bare:.2f}"),
            ("driver CPU per code", f"{cpu_us:.2f} µs"),
            ("lost / corrupted / error events", f"{lost} / {corrupted} / {errors}"),
            (f"paced {args.baud} baud burst", f"{args.paced_codes} codes, {paced['lost']} lost, {paced['corrupted']} corrupted"),
            ("  last code after its last byte was due", f"{paced['end_lag_ms']:.2f} ms (one frame: {paced['frame_ms']:.2f} ms)"),
            ("  lag per code p50 / p99 / max", f"{paced['p50_lag_ms']:.2f} / {paced['p99_lag_ms']:.2f} / {paced['max_lag_ms']:.2f} ms"),
            ("  line rate / delivered rate", f"{paced['line_rate']:,.0f} / {paced['rate']:,.0f} codes/s"),
        ]
    )
    result(
        "scanner",
        round(driver),
        "codes/s",
        round(bare),
        round(driver / bare, 3),
        codes=args.codes,
        rounds=args.rounds,
        lost=lost,
        corrupted=corrupted,
        error_events=errors,
        cpu_us_per_code=round(cpu_us, 3),
        paced=paced,
    )
    return 0 if lost == corrupted == errors == 0 and paced["within_one_frame"] else 1


def _paced(context: Any, codes: list[str], baud: int) -> dict[str, Any]:
    global _link
    here, there = context.Pipe()
    simulator = context.Process(target=_simulate, args=(there, codes), daemon=True)
    simulator.start()
    try:
        _link = here.recv()
        outcome = _round(here, _read_driver, len(codes), True, baud)
        here.send(None)
    finally:
        simulator.join(timeout=30)
    lost, corrupted = _tally(codes, outcome["codes"])
    lags = sorted(scan.monotonic - due for scan, due in zip(outcome["scans"], outcome["due"], strict=False))
    frame_ms = (len(codes[-1]) + 1) * 10 / baud * 1000
    end_lag_ms = (outcome["end"] - outcome["due"][-1]) * 1000
    line_time = outcome["due"][-1] - outcome["start"]
    return {
        "baud": baud,
        "codes": len(codes),
        "lost": lost,
        "corrupted": corrupted,
        "frame_ms": round(frame_ms, 3),
        "end_lag_ms": round(end_lag_ms, 3),
        "within_one_frame": end_lag_ms <= frame_ms,
        "p50_lag_ms": round(lags[len(lags) // 2] * 1000, 3),
        "p99_lag_ms": round(lags[int(len(lags) * 0.99)] * 1000, 3),
        "max_lag_ms": round(lags[-1] * 1000, 3),
        "line_rate": round(len(codes) / line_time),
        "rate": round(len(codes) / (outcome["end"] - outcome["start"])),
    }
