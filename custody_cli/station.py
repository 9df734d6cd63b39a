"""`custody station …`: stations (desk PCs, handhelds), their API keys, and the agent a station runs."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

import click

from custody.model import Department
from custody_cli.context import acting_user, emit, fail, reports_errors, services


@click.group()
def station() -> None:
    """Stations: each has an API key, a unit and the devices it reports from."""


@station.command("add")
@click.argument("name")
@click.option("--unit", "unit_code", required=True, help="The station's unit, e.g. 220102.")
@click.option(
    "--department",
    type=click.Choice([d.value for d in Department]),
    default=Department.EVIDENCE_ROOM.value,
    show_default=True,
)
@click.option("--device", "devices", multiple=True, required=True, help="A device id it uses (repeat).")
@reports_errors
def add_command(name: str, unit_code: str, department: str, devices: tuple[str, ...]) -> None:
    """Add a station (administrator) and print its API key: the key is shown this once only."""
    from custody.stations import Stations

    with services() as custody:
        admin = acting_user(custody)
        added, key = Stations(custody).add(admin, name, unit_code, Department(department), devices)
    emit({**added.as_dict(), "key": key})
    click.echo("store the key now: it is not shown again and cannot be recovered", err=True)


@station.command("list")
@reports_errors
def list_command() -> None:
    """Stations of the acting administrator's unit and below, one JSON line each (never a key)."""
    from custody.stations import Stations

    with services() as custody:
        stations, cursor = Stations(custody), None
        viewer = acting_user(custody)
        while True:
            page = stations.list(viewer, cursor, 200)
            for row in page.rows:
                emit(row)
            cursor = page.next_cursor
            if cursor is None:
                break


@station.command("revoke")
@click.argument("name")
@reports_errors
def revoke_command(name: str) -> None:
    """Revoke a station's key (administrator): it stops working at the next request."""
    from custody.stations import Stations

    with services() as custody:
        revoked = Stations(custody).revoke(acting_user(custody), name)
    emit(revoked.as_dict())


@station.command("run")
@click.option(
    "--config",
    "config_path",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The station's TOML configuration (service URL and key, outbox, scanner, reader).",
)
def run_command(config_path: Path) -> None:
    """Run the station agent: forward every scan and tag read to the service, exactly once.

    Events wait in the local outbox (committed before they are sent) until the service answers; each
    answer is printed as one JSON line. A refused station key or an unbound device holds delivery with
    every scan kept (said once on stdout and stderr); fix it in the configuration and send SIGHUP, or
    restart. Ctrl-C or SIGTERM stops the devices, lets a delivery in flight finish and closes the
    outbox; what is still unsent goes out at the next start.
    """
    from station.agent import StationAgent
    from station.config import ConfigError, load_config

    try:
        config = load_config(config_path)
    except ConfigError as error:
        fail(f"station configuration: {error}")
        return
    agent = StationAgent(config, config_path=config_path)
    run_until_signalled(agent.run, agent.stop, agent.reload)


def run_until_signalled(
    run: Callable[[], None], stop: Callable[[], None], reload: Callable[[], None] | None = None
) -> None:
    """Call ``run`` with SIGINT and SIGTERM turned into ``stop()`` (no exception thrown into the middle
    of a write) and SIGHUP into ``reload()``, and the previous handlers restored afterwards."""

    def on_signal(signum: int, _frame: object) -> None:
        if signum == signal.SIGHUP and reload is not None:
            reload()
        else:
            stop()

    signals = (signal.SIGINT, signal.SIGTERM) + ((signal.SIGHUP,) if reload is not None else ())
    previous = {sig: signal.signal(sig, on_signal) for sig in signals}
    try:
        run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
