"""UID reads per second through the RFID driver against a bare pyscard loop; tag arrival latency.

Both run in the same run, on the same vpcd reader, against the same virtual tag, which runs in a
process of its own (``custody sim tag``), as a tag is never in the reader's process.

* reads: ``driver`` opens the tag with :func:`devices.rfid.open_tag` and calls its reader adapter's
  ``uid()`` (``FF CA 00 00 00`` with the status word checked); ``bare`` is one ``SCardConnect`` and then
  ``SCardTransmit`` of the same APDU in a loop. Rounds alternate (ABBA); each figure is the median round.
* arrival: from the moment the tag connects to vpcd (the simulator's monotonic clock, which is the
  machine's) to the driver's :class:`~devices.rfid.TagArrived` (tag read whole: UID, model, NDEF
  text) and to a bare ``SCardGetStatusChange`` loop seeing the card, both watching the same arrivals.
  Most of it is pcscd polling vpcd (about every 0.4 s); each arrival starts at a random phase.

    python -m bench tag [--reads 20000] [--rounds 10] [--arrivals 30]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from smartcard import scard

from bench._report import result, table
from devices.rfid import PcscContext, TagArrived, TagEvent, TagMonitor, TagRemoved, open_tag
from devices.rfid.pcsc import ReaderState
from simulators.pcscd import Pcscd

READER = "Virtual PCD 00 00"
UID = "04BE4C11A0B6C3"
TEXT = "F220100202600012787"
GOAL_RATIO = 0.8
UID_APDU = [0xFF, 0xCA, 0x00, 0x00, 0x00]
WAIT = 15.0


class SimulatedTag:
    """``custody sim tag`` in a child process, driven by its line commands."""

    def __init__(self) -> None:
        script = Path(sys.executable).with_name("custody")
        found = str(script) if script.exists() else shutil.which("custody")
        command = [found] if found else [sys.executable, "-c", "from custody_cli.main import main; main()"]
        command += ["sim", "tag", "--no-pcscd", "--off", "--type", "ntag215", "--uid", UID, "--text", TEXT]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.expect("ready")

    def expect(self, event: str) -> dict[str, Any]:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            record: dict[str, Any] = json.loads(line)
            if record["event"] == event:
                return record
        raise RuntimeError(f"the tag simulator stopped (status {self.process.wait()}) before {event!r}")

    def command(self, line: str, answer: str) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return self.expect(answer)

    def close(self) -> None:
        if self.process.poll() is None:
            self.command("quit", "stopped")
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def wait_for_card(present: bool) -> None:
    with PcscContext() as context:
        states = [ReaderState(READER, 0)]
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            changed = context.wait_for_change(states, deadline - time.monotonic())
            if changed is None:
                break
            states = [state.settled() for state in changed]
            if states[0].present == present:
                return
    raise RuntimeError(f"the virtual tag did not {'arrive' if present else 'leave'} within {WAIT:g} s")


def driver_reads(count: int) -> float:
    with PcscContext() as context, open_tag(context, READER) as tag:
        reader = tag.reader
        started = time.perf_counter()
        for _ in range(count):
            reader.uid()
        return count / (time.perf_counter() - started)


def bare_reads(count: int) -> float:
    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    assert hresult == scard.SCARD_S_SUCCESS
    try:
        protocols = scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1
        hresult, card, protocol = scard.SCardConnect(context, READER, scard.SCARD_SHARE_SHARED, protocols)
        assert hresult == scard.SCARD_S_SUCCESS
        started = time.perf_counter()
        for _ in range(count):
            hresult, _response = scard.SCardTransmit(card, protocol, UID_APDU)
            assert hresult == scard.SCARD_S_SUCCESS
        elapsed = time.perf_counter() - started
        scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD)
        return count / elapsed
    finally:
        scard.SCardReleaseContext(context)


class BareWatcher:
    """A bare SCardGetStatusChange loop on the reader, noting when it sees the card come and go."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.left = threading.Event()
        self.arrived_at = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        assert hresult == scard.SCARD_S_SUCCESS
        state = scard.SCARD_STATE_UNAWARE
        while not self._stop.is_set():
            hresult, states = scard.SCardGetStatusChange(context, 500, [(READER, state)])
            if hresult != scard.SCARD_S_SUCCESS:
                continue
            state = states[0][1] & ~scard.SCARD_STATE_CHANGED
            if state & scard.SCARD_STATE_PRESENT and not self.arrived.is_set():
                self.arrived_at = time.monotonic()
                self.arrived.set()
            elif state & scard.SCARD_STATE_EMPTY:
                self.left.set()
        scard.SCardReleaseContext(context)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)


def arrivals(tag: SimulatedTag, count: int, rng: random.Random) -> tuple[list[float], list[float]]:
    """Latencies (s) of the driver's arrival events and of the bare loop, over ``count`` arrivals."""
    arrived, left = threading.Event(), threading.Event()
    arrived_at = [0.0]

    def on_event(event: TagEvent) -> None:
        if isinstance(event, TagArrived) and event.text == TEXT:
            arrived_at[0] = time.monotonic()
            arrived.set()
        elif isinstance(event, TagRemoved):
            left.set()

    bare = BareWatcher()
    driver: list[float] = []
    floor: list[float] = []
    with TagMonitor(on_event, reader=READER):
        for _ in range(count):
            arrived.clear()
            bare.arrived.clear()
            time.sleep(rng.uniform(0, 0.45))  # start at a random phase of pcscd's polling
            at = tag.command("on", "on_reader")["at"]
            if not (arrived.wait(WAIT) and bare.arrived.wait(WAIT)):
                raise RuntimeError("the tag's arrival was not seen")
            driver.append(arrived_at[0] - at)
            floor.append(bare.arrived_at - at)
            left.clear()
            bare.left.clear()
            tag.command("off", "off_reader")
            if not (left.wait(WAIT) and bare.left.wait(WAIT)):
                raise RuntimeError("the tag's removal was not seen")
    bare.stop()
    return driver, floor


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered) + 0.5) - 1)]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench tag", description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=20_000, help="UID reads per side (default 20000)")
    parser.add_argument("--rounds", type=int, default=10, help="alternating rounds (default 10)")
    parser.add_argument("--arrivals", type=int, default=30, help="tag arrivals timed (default 30)")
    parser.add_argument("--seed", type=int, default=2026, help="seed of the arrival phases")
    args = parser.parse_args(argv)
    rounds = max(1, args.rounds)
    per_round = max(1, args.reads // rounds)
    with Pcscd() as daemon:
        tag = SimulatedTag()
        try:
            tag.command("on", "on_reader")
            wait_for_card(present=True)
            ours: list[float] = []
            floor: list[float] = []
            driver_reads(min(200, per_round))  # warm-up: the first connection probes the reader family
            for turn in range(rounds):  # ABBA order, so that a drift of the machine hits both alike
                if turn % 2:
                    floor.append(bare_reads(per_round))
                    ours.append(driver_reads(per_round))
                else:
                    ours.append(driver_reads(per_round))
                    floor.append(bare_reads(per_round))
            tag.command("off", "off_reader")
            wait_for_card(present=False)
            latency, bare_latency = arrivals(tag, max(1, args.arrivals), random.Random(args.seed))
        finally:
            tag.close()
        owned = daemon.owned
    value, baseline = statistics.median(ours), statistics.median(floor)
    ratio = value / baseline
    ms = 1000.0
    table(
        [
            ("UID reads, driver", f"{value:,.0f}/s (rounds: {', '.join(f'{r:,.0f}' for r in ours)})"),
            (
                "UID reads, bare pyscard",
                f"{baseline:,.0f}/s (rounds: {', '.join(f'{r:,.0f}' for r in floor)})",
            ),
            ("ratio (goal ≥ 0.8)", f"{ratio:.3f}"),
            (
                "arrival → event, driver",
                f"median {statistics.median(latency) * ms:.0f} ms, p95 {p95(latency) * ms:.0f} ms",
            ),
            (
                "arrival → state, bare",
                f"median {statistics.median(bare_latency) * ms:.0f} ms, p95 {p95(bare_latency) * ms:.0f} ms",
            ),
            ("reads × rounds, arrivals", f"{per_round} × {rounds}, {len(latency)}"),
            ("pcscd", "started for the run" if owned else "already running"),
        ]
    )
    result(
        "tag_uid_reads",
        round(value, 1),
        "reads/s",
        round(baseline, 1),
        round(ratio, 4),
        goal_ratio=GOAL_RATIO,
        reads=per_round * rounds,
        rounds=rounds,
        arrivals=len(latency),
        arrival_median_ms=round(statistics.median(latency) * ms, 1),
        arrival_p95_ms=round(p95(latency) * ms, 1),
        bare_arrival_median_ms=round(statistics.median(bare_latency) * ms, 1),
        bare_arrival_p95_ms=round(p95(bare_latency) * ms, 1),
    )
    return 0
