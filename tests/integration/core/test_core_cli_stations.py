"""`custody station bind|unbind|rotate-key` on both back ends: the acting administrator proves who acts,
acts within the unit and below, and each change is an access-log entry written with it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import text

from custody.access_log import AccessLog
from custody.errors import NotAuthenticated
from custody.model import Department, Role
from custody.services import Custody
from custody.station_keys import StationKeys
from custody_cli.main import cli


def run(url: str, user: str, password: str, *args: str) -> Result:
    env = {"CUSTODY_DATABASE_URL": url, "CUSTODY_USER": ""}
    return CliRunner().invoke(cli, ["--as", user, "--password-stdin", *args], env=env, input=password + "\n")


def printed(result: Result) -> dict[str, Any]:
    found = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(found) == 1, result.output
    return dict(found[0])


def station_log(custody: Custody) -> list[tuple[Any, ...]]:
    query = "SELECT method, route, path, status, note, user_id, unit_code FROM access_log ORDER BY seq"
    with custody.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(query))]


@pytest.fixture
def desk(custody: Custody) -> str:
    custody.stations.add(
        custody.users.actor("admin"), "ng-desk-1", "220102", Department.EVIDENCE_ROOM, ["scanner-1"]
    )
    return "ng-desk-1"


def test_an_administrator_binds_unbinds_and_rotates_and_each_change_is_logged(
    database_url, passwords, custody, desk
):
    stations, keys = custody.stations, StationKeys(custody.store)
    old = stations.get(custody.users.actor("admin"), desk)
    bound = run(database_url, "admin", passwords, "station", "bind", desk, "reader-1")
    assert bound.exit_code == 0, bound.output
    assert printed(bound)["devices"] == ["scanner-1", "reader-1"]
    unbound = run(database_url, "admin", passwords, "station", "unbind", desk, "scanner-1")
    assert unbound.exit_code == 0 and printed(unbound)["devices"] == ["reader-1"]
    rotated = run(database_url, "admin", passwords, "station", "rotate-key", desk)
    assert rotated.exit_code == 0, rotated.output
    key = printed(rotated)["key"]
    assert "not shown again" in rotated.stderr
    assert keys.authenticate(key).devices == ("reader-1",)
    admin = custody.users.actor("admin")
    hint = f"station-key-rotated: key {old.key_hint[4:]}… replaced by {key[4:8]}…"
    assert station_log(custody)[-3:] == [
        (
            "CLI",
            "custody station bind",
            f"custody station bind {desk}",
            0,
            "station-device-bound: reader-1",
            admin.id,
            "220000",
        ),
        (
            "CLI",
            "custody station unbind",
            f"custody station unbind {desk}",
            0,
            "station-device-unbound: scanner-1",
            admin.id,
            "220000",
        ),
        (
            "CLI",
            "custody station rotate-key",
            f"custody station rotate-key {desk}",
            0,
            hint,
            admin.id,
            "220000",
        ),
    ]
    assert AccessLog(custody).verify().ok


def test_the_old_key_is_refused_once_the_command_rotated_it(database_url, passwords, custody):
    admin = custody.users.actor("admin")
    _station, old = custody.stations.add(admin, "ng-desk-2", "220102", Department.EVIDENCE_ROOM, ["s-1"])
    service = StationKeys(custody.store)  # a service process that has seen the old key
    service.authenticate(old)
    assert run(database_url, "admin", passwords, "station", "rotate-key", "ng-desk-2").exit_code == 0
    with pytest.raises(NotAuthenticated):
        service.authenticate(old)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("unbind", "ng-desk-1", "scanner-1"), "last device"),
        (("unbind", "ng-desk-1", "reader-9"), "not bound"),
        (("bind", "ng-desk-1", "scanner-1"), "already"),
        (("bind", "ng-desk-1", " "), "device"),
    ],
)
def test_a_refused_change_is_one_line_and_changes_nothing(
    database_url, passwords, custody, desk, args, message
):
    before, log = custody.stations.get(custody.users.actor("admin"), desk), station_log(custody)
    refused = run(database_url, "admin", passwords, "station", *args)
    assert refused.exit_code == 1 and message in refused.output and refused.output.startswith("error:")
    assert custody.stations.get(custody.users.actor("admin"), desk) == before
    assert station_log(custody) == log


def test_only_an_administrator_of_the_stations_unit_or_above_changes_it(
    database_url, passwords, custody, desk
):
    custody.stations.add(
        custody.users.actor("admin"), "jl-desk-1", "220200", Department.EVIDENCE_ROOM, ["s-1"]
    )
    custody.users.create(
        custody.users.actor("admin"),
        "cc-admin",
        "长春管理员",
        "220100",
        Department.OFFICE,
        {Role.ADMIN},
        passwords,
    )
    before = station_log(custody)
    for name in ("jl-desk-1", "no-such-desk"):
        for args in (("bind", name, "reader-1"), ("unbind", name, "s-1"), ("rotate-key", name)):
            refused = run(database_url, "cc-admin", passwords, "station", *args)
            assert refused.exit_code == 1 and refused.output == f"error: unknown station {name}\n"
    clerk = run(database_url, "ng-clerk", passwords, "station", "rotate-key", desk)
    assert clerk.exit_code == 1 and "may not" in clerk.output
    assert station_log(custody) == before


def test_adding_and_revoking_on_the_command_line_are_logged(database_url, passwords, custody):
    added = run(
        database_url, "admin", passwords, "station", "add", "ng-desk-3", "--unit", "220102", "--device", "s-1"
    )
    assert added.exit_code == 0, added.output
    hint = printed(added)["key"][4:8]
    assert run(database_url, "admin", passwords, "station", "revoke", "ng-desk-3").exit_code == 0
    admin = custody.users.actor("admin")
    assert station_log(custody)[-2:] == [
        (
            "CLI",
            "custody station add",
            "custody station add ng-desk-3",
            0,
            f"station-added: ng-desk-3 of unit 220102, devices s-1; key {hint}…",
            admin.id,
            "220000",
        ),
        (
            "CLI",
            "custody station revoke",
            "custody station revoke ng-desk-3",
            0,
            f"station-revoked: key {hint}…",
            admin.id,
            "220000",
        ),
    ]
