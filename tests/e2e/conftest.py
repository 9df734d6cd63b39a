"""End-to-end fixtures: each test gets its own bureau database, service process and simulated scanner;
pcscd (one per machine) is started once when none runs. A part that cannot be started fails the test,
never skips it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from e2e_stack import Bureau, Service, StationProcess, prepare_bureau

from simulators.scanner import ScannerSimulator


@pytest.fixture
def bureau(tmp_path: Path) -> Bureau:
    return prepare_bureau(tmp_path / "bureau")


@pytest.fixture
def service(bureau: Bureau) -> Iterator[Service]:
    running = Service(bureau).start()
    yield running
    running.close()


@pytest.fixture
def scanner(tmp_path: Path) -> Iterator[ScannerSimulator]:
    with ScannerSimulator(tmp_path / "ttyScanner") as simulator:
        yield simulator


@pytest.fixture
def stations() -> Iterator[Callable[[Path], StationProcess]]:
    """Start `custody station run` processes; any still running are killed after the test."""
    started: list[StationProcess] = []

    def start(config: Path, separate_stderr: bool = False) -> StationProcess:
        process = StationProcess(config, separate_stderr)
        started.append(process)
        return process

    yield start
    for process in started:
        process.close()
