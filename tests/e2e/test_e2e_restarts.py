"""Exactly once through outages: the service stopped and started again while the desk keeps scanning,
and the station killed (SIGKILL) with a delivery in flight and started again. Every scan ends as exactly
one sighting in the ledger, whatever was retried."""

from __future__ import annotations

import sqlite3
from collections import Counter
from contextlib import closing

import pytest
from e2e_stack import outbox_rows, prepare_bureau, station_config

pytestmark = pytest.mark.devices


@pytest.fixture
def bureau(tmp_path):
    return prepare_bureau(tmp_path / "bureau", firearms=6)


def assert_each_scan_once(bureau, keys_and_codes: dict[str, str]) -> None:
    sightings = bureau.wait_for_sightings(len(keys_and_codes))
    by_key = Counter(s["idempotency_key"] for s in sightings)
    assert by_key == Counter(list(keys_and_codes)), "every scan's key once, nothing else"
    assert Counter(s["code"] for s in sightings) == Counter(keys_and_codes.values())


def test_scans_made_while_the_service_is_down_arrive_once_after_it_restarts(
    tmp_path, bureau, service, scanner, stations
):
    station = stations(station_config(tmp_path, service.url, bureau.station_key, scanner=scanner.link))
    assert scanner.wait_for_reader()
    numbers = bureau.numbers
    scanner.scan(numbers[0])
    scanner.scan(numbers[1])
    station.answered(2)

    assert service.stop()
    for number in numbers[2:5]:
        scanner.scan(number)
    station.queued(5)
    station.until(lambda r: r.get("event") == "retrying")
    scanner.scan(numbers[5])  # still scanning during the outage
    station.queued(6)

    service.start()
    answers = station.answered(6)
    assert all(a["event"] == "accepted" for a in answers.values())
    assert_each_scan_once(bureau, station.codes)
    assert all(answered_at is not None for _key, _attempts, answered_at in outbox_rows(tmp_path))


def test_a_station_killed_mid_delivery_and_restarted_doubles_and_loses_nothing(
    tmp_path, bureau, service, scanner, stations
):
    config = station_config(tmp_path, service.url, bureau.station_key, scanner=scanner.link)
    station = stations(config)
    assert scanner.wait_for_reader()
    numbers = bureau.numbers
    scanner.scan(numbers[0])
    station.answered(1)

    service.pause()  # SIGSTOP: the next delivery is sent and gets no answer
    for number in numbers[1:4]:
        scanner.scan(number)
    keys = station.queued(4)

    def in_flight():
        return [row for row in outbox_rows(tmp_path) if row[1] > 0 and row[2] is None]

    deadline_rows = _wait(in_flight, "a delivery in flight")
    assert deadline_rows[0][0] == keys[1]
    station.kill()  # SIGKILL mid-delivery: the request is on the wire, its answer never read
    service.resume()  # the service may now commit it: the retry must find it, not double it

    again = stations(config)
    assert again.started["pending"] == 3
    assert scanner.wait_for_reader()
    for number in numbers[4:6]:
        scanner.scan(number)
    again.queued(2)
    answers = again.answered(5)
    assert all(a["event"] == "accepted" for a in answers.values())
    codes = {**station.codes, **again.codes}
    assert len(codes) == 6
    assert_each_scan_once(bureau, codes)


def _wait(condition, what):
    from e2e_stack import deadline_wait

    return deadline_wait(condition, what)


def test_scans_queued_during_an_outage_go_together_in_one_batch(tmp_path, bureau, service, scanner, stations):
    station = stations(station_config(tmp_path, service.url, bureau.station_key, scanner=scanner.link))
    assert scanner.wait_for_reader()
    assert service.stop()
    for number in bureau.numbers:
        scanner.scan(number)
    station.queued(len(bureau.numbers))
    station.until(lambda r: r.get("event") == "retrying")

    service.start()
    answers = station.answered(len(bureau.numbers))
    assert all(a["event"] == "accepted" for a in answers.values())
    assert_each_scan_once(bureau, station.codes)
    with closing(sqlite3.connect(bureau.path, timeout=10)) as con:
        posted = con.execute(
            "SELECT path, status FROM access_log "
            "WHERE method = 'POST' AND path LIKE '/api/v1/scans%' ORDER BY seq"
        ).fetchall()
    assert posted == [("/api/v1/scans/batch", 200)]  # six scans, one request, one transaction
    assert all(answered_at is not None for _key, _attempts, answered_at in outbox_rows(tmp_path))
