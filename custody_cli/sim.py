"""`custody sim …`: start the simulated devices by hand."""

from __future__ import annotations

import click

from custody_cli.lazy import LazyGroup

SIMULATORS: dict[str, str] = {
    "tag": "custody_cli.sim_tag:sim_tag",
    "scanner": "custody_cli.sim_scanner:scanner_sim",
}


@click.group(cls=LazyGroup, lazy_subcommands=SIMULATORS)
def sim() -> None:
    """Simulated hardware (barcode scanner on a pseudo-terminal, virtual RFID tag behind vpcd)."""
