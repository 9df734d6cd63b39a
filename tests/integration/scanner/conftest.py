"""Fixtures for the scanner driver through real pseudo-terminals: a simulated scanner behind a
symlink, and drivers listening to it in their own threads, their events collected to wait on."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from scanner_harness import TEST_FRAMING, WAIT, EventLog

from devices.scanner import Connected, Framing, PortSettings, SerialScanner
from simulators.scanner import ScannerSimulator


@pytest.fixture
def simulator() -> Iterator[ScannerSimulator]:
    with ScannerSimulator(baud=115200) as sim:
        yield sim


@pytest.fixture
def listen() -> Iterator[Callable[..., tuple[SerialScanner, EventLog]]]:
    """``listen(sim, framing)``: a driver on the simulator's link, running; unless ``opened=False``,
    once it has opened the port and the simulator has seen it do so."""
    running: list[SerialScanner] = []

    def start(
        sim: ScannerSimulator, framing: Framing = TEST_FRAMING, *, opened: bool = True
    ) -> tuple[SerialScanner, EventLog]:
        settings = PortSettings(str(sim.link), baudrate=sim.baud, backoff_max=0.2)
        scanner = SerialScanner(settings, framing, device="test-desk")
        log = EventLog()
        running.append(scanner)
        scanner.start(log.append)
        if opened:
            log.wait_for_event(Connected)
            assert sim.wait_for_reader(WAIT), "the simulator never saw the port open"
        return scanner, log

    yield start
    for scanner in running:
        scanner.close()
