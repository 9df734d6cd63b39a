"""Station changes in the core, on both back ends: one transaction with their record, and no lost
update when two service processes change the same station at once."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from custody.errors import StationChangeRefused
from custody.model import Department
from custody.services import Custody
from custody.stations import StationChange, Stations

WAIT = 30.0


class RecordUnavailable(Exception):
    pass


def nothing(_conn: object, _change: StationChange) -> None:
    """A record that writes nothing (what is recorded is tested with the entry points)."""


@pytest.fixture
def desk(custody: Custody) -> str:
    Stations(custody.store).add(
        custody.users.actor("admin"), "ng-desk-1", "220102", Department.EVIDENCE_ROOM, ["scanner-1"]
    )
    return "ng-desk-1"


@pytest.mark.parametrize("change", ["bind", "unbind", "rotate"])
def test_a_change_whose_record_cannot_be_written_is_not_made(custody, desk, change):
    stations, admin = Stations(custody.store), custody.users.actor("admin")
    stations.bind(admin, desk, "reader-1", nothing)
    before = stations.get(admin, desk)

    def failing(_conn: object, _change: StationChange) -> None:
        raise RecordUnavailable

    with pytest.raises(RecordUnavailable):
        if change == "bind":
            stations.bind(admin, desk, "reader-2", failing)
        elif change == "unbind":
            stations.unbind(admin, desk, "reader-1", failing)
        else:
            stations.rotate_key(admin, desk, failing)
    assert stations.get(admin, desk) == before


def _wait_for_a_lock_wait(custody: Custody) -> None:
    """On PostgreSQL, until the second process waits for the first (today on the writers' advisory
    lock; without it, on the station's row, whose conditional update then refuses the stale change);
    SQLite has one writer at a time, so there the second change reads only after the first commits."""
    if custody.engine.dialect.name != "postgresql":
        return
    deadline = time.monotonic() + WAIT
    query = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    while True:
        with custody.engine.connect() as conn:
            if conn.execute(query).scalar_one() > 0:
                return
        assert time.monotonic() < deadline, "the second change never waited for the first"
        time.sleep(0.01)


def test_two_processes_binding_at_once_never_lose_a_device(database_url, custody, desk):
    admin = custody.users.actor("admin")
    other = Custody.open(database_url)  # a second service process: its own connections and writer
    updated, go = threading.Event(), threading.Event()
    outcomes: dict[str, str] = {}

    def hold(_conn: object, _change: StationChange) -> None:
        updated.set()  # the row is written and locked, not committed yet
        assert go.wait(WAIT)

    def attempt(service: Custody, device: str, record) -> None:  # type: ignore[no-untyped-def]
        try:
            Stations(service.store).bind(admin, desk, device, record)
            outcomes[device] = "bound"
        except StationChangeRefused:
            outcomes[device] = "refused"

    first = threading.Thread(target=attempt, args=(custody, "reader-1", hold))
    second = threading.Thread(target=attempt, args=(other, "reader-2", nothing))
    try:
        first.start()
        assert updated.wait(WAIT)
        second.start()
        _wait_for_a_lock_wait(custody)
        go.set()
        first.join(WAIT)
        second.join(WAIT)
    finally:
        go.set()
        other.close()
    devices = Stations(custody.store).get(admin, desk).devices
    assert outcomes["reader-1"] == "bound" and "reader-1" in devices
    assert outcomes["reader-2"] in ("bound", "refused")
    assert devices == ("scanner-1", "reader-1", *(["reader-2"] if outcomes["reader-2"] == "bound" else []))
