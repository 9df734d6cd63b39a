"""`custody station …`: stations (desk PCs, handhelds), their API keys, and the agent a station runs."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from custody.model import Department
from custody_cli.context import acting_user, emit, fail, reports_errors, services

if TYPE_CHECKING:
    from custody.db.unit_of_work import Connection
    from custody.records import Station
    from custody.services import Custody
    from custody.stations import RecordChange, StationChange


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
@click.option(
    "--location",
    "location_code",
    help="The storage location it stands at, e.g. L220100-A-2: its sightings are recorded there.",
)
@reports_errors
def add_command(
    name: str, unit_code: str, department: str, devices: tuple[str, ...], location_code: str | None
) -> None:
    """Add a station (administrator) and print its API key: the key is shown this once only."""
    with services() as custody:
        admin = acting_user(custody)
        record = _command_record(custody, "add")
        added, key = custody.stations.add(
            admin, name, unit_code, Department(department), devices, record, location_code=location_code
        )
    emit({**shown(added), "key": key})
    click.echo("store the key now: it is not shown again and cannot be recovered", err=True)


@station.command("list")
@reports_errors
def list_command() -> None:
    """Stations of the acting administrator's unit and below, one JSON line each (never a key)."""
    with services() as custody:
        stations, cursor = custody.stations, None
        viewer = acting_user(custody)
        while True:
            page = stations.list(viewer, cursor, 200)
            for listed in page.rows:
                emit(shown(listed))
            cursor = page.next_cursor
            if cursor is None:
                break


@station.command("revoke")
@click.argument("name")
@reports_errors
def revoke_command(name: str) -> None:
    """Revoke a station's key (administrator): it stops working at the next request."""
    with services() as custody:
        revoked = custody.stations.revoke(acting_user(custody), name, _command_record(custody, "revoke"))
    emit(shown(revoked))


def shown(station: Station) -> dict[str, Any]:
    """A station as a command prints it (never its key's digest)."""
    return {
        "name": station.name,
        "unit_code": station.unit_code,
        "department": station.department.value,
        "devices": list(station.devices),
        "key_hint": station.key_hint,
        "created_at_us": station.created_at_us,
        "revoked_at_us": station.revoked_at_us,
        "location_code": station.location_code,
    }


def _command_record(custody: Custody, command: str) -> RecordChange:
    """A command's change is recorded as an API request's is: an access-log entry (method ``CLI``,
    the command as route and path, exit status 0, the note saying what changed), committed with it."""
    from dataclasses import replace

    from custody.access_log import USER, Access, AccessLog
    from custody_cli.session import cli_client

    def record(conn: Connection, change: StationChange) -> None:
        admin = change.admin
        entry = Access(
            USER,
            method="CLI",
            route=f"custody station {command}",
            path=f"custody station {command} {change.station.name}",
            status=0,
            user_id=admin.id,
            unit_code=admin.unit_code,
            client=cli_client(),
        )
        AccessLog(custody).act_for(replace(entry, note=change.note()))(conn)

    return record


@station.command("bind")
@click.argument("name")
@click.argument("device", required=False)
@click.option(
    "--location",
    "location_code",
    help="Bind the station to this storage location (of its unit or below): its sightings are "
    "recorded there from the next scan on.",
)
@reports_errors
def bind_command(name: str, device: str | None, location_code: str | None) -> None:
    """Bind another DEVICE to a station (administrator): its scans are admitted from now on; or, with
    --location, bind the station to the storage location it stands at (or both)."""
    if device is None and location_code is None:
        raise click.UsageError("name a DEVICE to bind, or --location CODE")
    with services() as custody:
        admin, record = acting_user(custody), _command_record(custody, "bind")
        bound = None
        if device is not None:
            bound = custody.stations.bind(admin, name, device, record)
        if location_code is not None:
            bound = custody.stations.bind_location(admin, name, location_code, record)
    assert bound is not None
    emit(shown(bound))


@station.command("unbind")
@click.argument("name")
@click.argument("device", required=False)
@click.option("--location", "location", is_flag=True, help="Unbind the station from its storage location.")
@reports_errors
def unbind_command(name: str, device: str | None, location: bool) -> None:
    """Unbind a DEVICE from a station (administrator): its scans are refused from now on (a station
    keeps at least one device); or, with --location, unbind it from its storage location: its
    sightings are recorded at no location from then on."""
    if device is None and not location:
        raise click.UsageError("name a DEVICE to unbind, or --location")
    with services() as custody:
        admin, record = acting_user(custody), _command_record(custody, "unbind")
        unbound = None
        if device is not None:
            unbound = custody.stations.unbind(admin, name, device, record)
        if location:
            unbound = custody.stations.bind_location(admin, name, None, record)
    assert unbound is not None
    emit(shown(unbound))


@station.command("rotate-key")
@click.argument("name")
@reports_errors
def rotate_key_command(name: str) -> None:
    """Issue a station a new API key (administrator) and print it: shown this once only. The old key
    is refused from now on; a revoked station cannot be given a key again."""
    with services() as custody:
        record = _command_record(custody, "rotate-key")
        rotated, key = custody.stations.rotate_key(acting_user(custody), name, record)
    emit({**shown(rotated), "key": key})
    click.echo("store the key now: it is not shown again and cannot be recovered", err=True)


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
