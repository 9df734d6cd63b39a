"""A station held because an administrator's change went wrong is fixed by another administrator's
change: its device bound again, or its new key put in its configuration. Every part is a real process
(the service, the agent on a simulated scanner's pty, the `custody` command that fixes the station),
and after a SIGHUP the agent delivers every held scan exactly once."""

from __future__ import annotations

import json
import signal
import subprocess

import pytest
from e2e_stack import CUSTODY, STATION, environment, outbox_rows, station_config

pytestmark = pytest.mark.devices

PASSWORD = "correct horse battery staple"


def administrator(bureau) -> None:
    """Give the bureau's administrator a password, so that the command line can prove who acts."""
    custody = bureau.custody()
    try:
        custody.users.set_password(custody.users.actor("admin"), "admin", PASSWORD)
    finally:
        custody.close()


def custody_command(bureau, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [CUSTODY, "--as", "admin", "--password-stdin", "station", *args],
        env=environment(bureau.url),
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done


def test_scans_held_by_an_unbound_device_are_delivered_once_after_it_is_bound_again(
    tmp_path, bureau, service, scanner, stations
):
    administrator(bureau)
    custody_command(bureau, "unbind", STATION, "scanner-1")  # by mistake
    config = station_config(tmp_path, service.url, bureau.station_key, scanner=scanner.link)
    station = stations(config)
    assert scanner.wait_for_reader()
    scanner.scan(bureau.numbers[0])
    held = station.until(lambda r: r.get("event") == "held")
    assert (held["hold"], held["status"], held["type"]) == ("binding", 403, "/problems/device-not-bound")
    scanner.scan(bureau.numbers[1])
    scanner.scan(bureau.numbers[2])
    station.queued(3)
    assert bureau.sightings() == []

    custody_command(bureau, "bind", STATION, "scanner-1")
    station.process.send_signal(signal.SIGHUP)
    station.until(lambda r: r.get("event") == "resumed")
    answers = station.answered(3)
    assert sorted(a["evidence_no"] for a in answers.values()) == sorted(bureau.numbers[:3])
    assert station.terminate() == 0
    sightings = bureau.wait_for_sightings(3)
    assert sorted(s["evidence_no"] for s in sightings) == sorted(bureau.numbers[:3])
    assert {s["device"] for s in sightings} == {"scanner-1"}
    assert all(answered is not None for _key, _attempts, answered in outbox_rows(tmp_path))


def test_scans_held_by_a_key_rotated_by_mistake_are_delivered_once_with_the_new_key(
    tmp_path, bureau, service, scanner, stations
):
    administrator(bureau)
    config = station_config(tmp_path, service.url, bureau.station_key, scanner=scanner.link)
    station = stations(config)
    assert scanner.wait_for_reader()
    scanner.scan(bureau.numbers[0])
    station.until(lambda r: r.get("event") == "accepted")  # the service remembers the key now

    rotated = custody_command(bureau, "rotate-key", STATION)
    new_key = json.loads(rotated.stdout)["key"]
    assert new_key.startswith("csk_") and new_key != bureau.station_key
    scanner.scan(bureau.numbers[1])
    held = station.until(lambda r: r.get("event") == "held")
    assert (held["hold"], held["status"]) == ("credentials", 401)
    scanner.scan(bureau.numbers[2])
    station.queued(3)
    assert len(bureau.sightings()) == 1

    station_config(tmp_path, service.url, new_key, scanner=scanner.link)
    station.process.send_signal(signal.SIGHUP)
    station.until(lambda r: r.get("event") == "resumed")
    answers = station.answered(3)
    assert sorted(a["evidence_no"] for a in answers.values()) == sorted(bureau.numbers[:3])
    assert station.terminate() == 0
    sightings = bureau.wait_for_sightings(3)
    assert sorted(s["evidence_no"] for s in sightings) == sorted(bureau.numbers[:3])
    assert all(answered is not None for _key, _attempts, answered in outbox_rows(tmp_path))
    assert new_key not in "\n".join(station.log.lines)
