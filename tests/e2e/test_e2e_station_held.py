"""A station whose key the service refuses keeps every scan, says so once on stdout and once on
stderr, and sends them all once the key is fixed: on SIGHUP, or at the next start."""

from __future__ import annotations

import signal

import pytest
from e2e_stack import outbox_rows, station_config

pytestmark = pytest.mark.devices


def mistyped(key: str) -> str:
    return key[:-1] + ("x" if key[-1] != "x" else "y")


def test_a_refused_key_holds_every_scan_until_a_sighup_with_the_fixed_key(
    tmp_path, bureau, service, scanner, stations
):
    config = station_config(tmp_path, service.url, mistyped(bureau.station_key), scanner=scanner.link)
    station = stations(config, separate_stderr=True)
    assert scanner.wait_for_reader()
    scanner.scan(bureau.numbers[0])
    held = station.until(lambda r: r.get("event") == "held")
    assert (held["hold"], held["status"], held["type"]) == ("credentials", 401, "/problems/unauthenticated")
    station.errors.wait_for_text("delivery of every scan held")
    scanner.scan(bureau.numbers[1])
    scanner.scan(bureau.numbers[2])
    station.queued(3)
    assert bureau.sightings() == []
    assert [answered for _key, _attempts, answered in outbox_rows(tmp_path)] == [None] * 3

    station_config(tmp_path, service.url, bureau.station_key, scanner=scanner.link)
    station.process.send_signal(signal.SIGHUP)
    station.until(lambda r: r.get("event") == "resumed")
    answers = station.answered(3)
    assert sorted(a["evidence_no"] for a in answers.values()) == sorted(bureau.numbers[:3])
    assert len(bureau.wait_for_sightings(3)) == 3
    assert station.terminate() == 0
    assert [r.get("event") for r in station.log.seen].count("held") == 1
    assert sum("delivery of every scan held" in line for line in station.errors.lines) == 1
    assert bureau.station_key not in "\n".join(station.log.lines + station.errors.lines)


def test_scans_held_by_a_refused_key_are_sent_at_the_next_start(tmp_path, bureau, service, scanner, stations):
    config = station_config(tmp_path, service.url, mistyped(bureau.station_key), scanner=scanner.link)
    first = stations(config)
    assert scanner.wait_for_reader()
    scanner.scan(bureau.numbers[0])
    first.until(lambda r: r.get("event") == "held")
    assert first.terminate() == 0
    stopped = first.until(lambda r: r.get("event") == "stopped")
    assert stopped["pending"] == 1

    station_config(tmp_path, service.url, bureau.station_key, scanner=scanner.link)
    second = stations(config)
    assert second.started["pending"] == 1
    second.until(lambda r: r.get("event") == "accepted")
    assert [s["evidence_no"] for s in bureau.wait_for_sightings(1)] == [bureau.numbers[0]]
