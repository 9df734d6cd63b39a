"""A tamper-evident tag's loop reaches the ledger: a virtual NTAG 213 TT (`custody sim tag`) → vpcd →
pcscd → pyscard → the tag monitor in `custody station run` → HTTP → the service → the sighting's
payload and the answer. The loop is cut with the simulator's own ``tamper`` command."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest
from e2e_stack import CUSTODY, STATION, OutputLog, environment, station_config

pytestmark = [pytest.mark.devices, pytest.mark.xdist_group("pcscd")]
READER = "Virtual PCD 00 00"


class SimulatedTag:
    """`custody sim tag` as a process: commands on its stdin, its JSON answers read as they come."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [CUSTODY, "sim", "tag", "--no-pcscd", "--slot", "0", "--off", *args],
            env=environment(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.log = OutputLog(self.process, parse_json=True)
        self.ready = self.log.event("ready")

    def command(self, line: str, answer: str) -> dict:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return self.log.event(answer)

    def close(self) -> None:
        if self.process.poll() is None:
            self.command("quit", "stopped")
            self.process.wait(30)


@pytest.fixture
def tag_station(tmp_path, bureau, service, stations):
    station = stations(station_config(tmp_path, service.url, bureau.station_key, reader=READER))
    station.reported(lambda r: r.get("event") == "reader_added" and r.get("reader") == READER)
    return station


@pytest.fixture
def tt_tag(bureau, pcscd) -> Iterator[SimulatedTag]:
    tag = SimulatedTag("--type", "ntag213tt", "--text", bureau.numbers[0])
    yield tag
    tag.close()


def answered(station) -> dict:
    return station.until(lambda r: r.get("event") in ("accepted", "refused"))


def test_a_cut_loop_is_forwarded_recorded_and_answered_as_open(bureau, tag_station, tt_tag):
    number = bureau.numbers[0]
    tt_tag.command("on", "on_reader")
    intact = answered(tag_station)
    assert intact["event"] == "accepted" and intact["evidence_no"] == number
    assert intact["tamper"] == "closed" and "warnings" not in intact

    tt_tag.command("tamper", "tamper_loop_opened")  # cut, then read again at the next power-up
    queued = tag_station.until(lambda r: r.get("event") == "queued")
    assert queued["tamper"] == "open"
    broken = answered(tag_station)
    assert broken["event"] == "accepted" and broken["tamper"] == "open"
    assert [w["key"] for w in broken["warnings"]] == ["scan.tamper_open"]

    first, second = bureau.wait_for_sightings(2)
    assert (first["evidence_no"], first["tamper"], first["tamper_opened_before"]) == (number, "closed", False)
    assert (second["evidence_no"], second["tamper"], second["tamper_opened_before"]) == (number, "open", True)
    assert (second["station"], second["device"], second["source"]) == (STATION, "reader-1", "tag")
    assert second["uid"] == tt_tag.ready["uid"]
