"""A barcode scanned at a desk becomes a sighting in the ledger: scanner simulator → pty → driver →
`custody station run` → HTTP → the service under uvicorn → the SQLite ledger."""

from __future__ import annotations

import subprocess

import pytest
from e2e_stack import CUSTODY, STATION, environment, station_config

from custody.numbers import EvidenceNumber

pytestmark = pytest.mark.devices


def test_a_scanned_label_becomes_one_sighting_of_its_item(tmp_path, bureau, service, scanner, stations):
    config = station_config(tmp_path, service.url, bureau.station_key, scanner=scanner.link)
    station = stations(config)
    assert scanner.wait_for_reader()
    number = bureau.numbers[0]
    scanner.scan(number)

    queued = station.until(lambda r: r.get("event") == "queued")
    accepted = station.until(lambda r: r.get("event") == "accepted")
    assert queued["code"] == number and accepted["key"] == queued["key"]
    assert (accepted["evidence_no"], accepted["station"], accepted["replayed"]) == (number, STATION, False)

    (sighting,) = bureau.wait_for_sightings(1)
    assert sighting["seq"] == accepted["seq"] and sighting["evidence_no"] == number
    assert (sighting["station"], sighting["device"], sighting["source"]) == (STATION, "scanner-1", "barcode")
    assert sighting["idempotency_key"] == queued["key"]


def test_an_unknown_number_is_refused_with_the_reason_and_not_retried(
    tmp_path, bureau, service, scanner, stations
):
    config = station_config(tmp_path, service.url, bureau.station_key, scanner=scanner.link)
    station = stations(config)
    assert scanner.wait_for_reader()
    known = bureau.numbers[1]
    parsed = EvidenceNumber.parse(known)
    unknown = str(EvidenceNumber(parsed.kind, parsed.region_code, parsed.year, 999_999))
    scanner.scan(unknown)
    refused = station.until(lambda r: r.get("event") in ("accepted", "refused"))
    assert refused["event"] == "refused" and refused["status"] == 404
    assert refused["type"] == "/problems/unknown-item" and "unknown item" in refused["reason"]
    scanner.scan(known)
    accepted = station.until(lambda r: r.get("event") in ("accepted", "refused"))
    assert accepted["event"] == "accepted" and accepted["evidence_no"] == known
    assert [s["evidence_no"] for s in bureau.sightings()] == [known]


def test_sigterm_stops_the_station_cleanly_and_unsent_scans_wait_for_the_next_start(
    tmp_path, bureau, service, scanner, stations
):
    config = station_config(tmp_path, service.url, bureau.station_key, scanner=scanner.link)
    service.stop()
    station = stations(config)
    assert scanner.wait_for_reader()
    scanner.scan(bureau.numbers[0])
    station.queued(1)
    station.until(lambda r: r.get("event") == "retrying")
    assert station.terminate() == 0
    stopped = station.log.event("stopped")
    assert stopped["pending"] == 1

    service.start()
    again = stations(config)
    assert again.started["pending"] == 1
    accepted = again.until(lambda r: r.get("event") == "accepted")
    assert accepted["evidence_no"] == bureau.numbers[0]
    assert len(bureau.wait_for_sightings(1)) == 1


def test_a_bad_configuration_is_one_line_and_a_failure(tmp_path):
    config = tmp_path / "station.toml"
    config.write_text('[service]\nurl = "http://127.0.0.1:1"\nkey = "k"\n[scanner]\nbaud = "fast"\n')
    done = subprocess.run(
        [CUSTODY, "station", "run", "--config", str(config)],
        check=False,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "scanner" in done.stderr, done.stderr
