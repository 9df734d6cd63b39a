"""The station agent's delivery against the real scan intake, on SQLite and PostgreSQL: an answer about
the station (its key refused or revoked, its device not bound) keeps every scan queued and holds
delivery until the key or binding is fixed; an answer about the scan (an unknown number) ends that scan.
"""

from __future__ import annotations

from pathlib import Path

from api_harness import Harness

from custody.intake import FirearmIntake
from custody.numbers import EvidenceNumber, ItemKind
from station.agent import Delivery
from station.config import ConfigError, OutboxConfig, ServiceConfig, StationConfig
from station.outbox import Outbox

CASE = "长南公刑字〔2026〕091号"


class Recorder:
    """The agent's stdout (JSON records) and stderr (lines), as printed."""

    def __init__(self) -> None:
        self.records: list[dict] = []
        self.warnings: list[str] = []

    def events(self, name: str) -> list[dict]:
        return [r for r in self.records if r.get("event") == name]


def firearms(api: Harness, count: int) -> list[str]:
    clerk = api.custody.users.actor("ng-clerk")
    api.custody.cases.open(clerk, CASE)
    intake = FirearmIntake("手枪", "54式", "1", "7.62mm", True)
    return [str(api.custody.items.register_firearm(clerk, CASE, intake).evidence_no) for _ in range(count)]


def delivery_for(api: Harness, tmp_path: Path, key: str, reread=None) -> tuple[Delivery, Outbox, Recorder]:
    config = StationConfig(
        service=ServiceConfig(url="http://testserver", key=key),
        outbox=OutboxConfig(path=tmp_path / "outbox.sqlite"),
    )
    outbox = Outbox(config.outbox.path)
    seen = Recorder()
    delivery = Delivery(config, outbox, seen.records.append, api.client, seen.warnings.append, reread)
    return delivery, outbox, seen


def queue_scans(outbox: Outbox, numbers: list[str], device: str = "scanner-1", batch: str = "a") -> None:
    for n, number in enumerate(numbers):
        key = f"{device}:{batch}{n}"
        outbox.put(key, {"device": device, "idempotency_key": key, "code": number, "symbology": "C0"})


def send_all(delivery: Delivery, outbox: Outbox, attempts: int = 10) -> None:
    """Deliver as the loop does: oldest first, none while every scan is held, none of a held device."""
    for _ in range(attempts):
        pending = delivery.next_pending()
        if pending is None:
            return
        delivery.deliver(pending)


def test_a_mistyped_key_keeps_every_scan_and_a_reload_with_the_right_key_sends_them(api, tmp_path):
    numbers = firearms(api, 3)
    right_key = api.station("ng-desk", "220102", "scanner-1")
    delivery, outbox, seen = delivery_for(api, tmp_path, right_key[:-1] + "x", reread=lambda: right_key)
    queue_scans(outbox, numbers)
    head = api.head_seq()
    send_all(delivery, outbox)
    send_all(delivery, outbox)
    assert outbox.counts() == {"pending": 3, "answered": 0}
    assert api.head_seq() == head
    [held] = seen.events("held")
    assert (held["hold"], held["status"], held["type"]) == ("credentials", 401, "/problems/unauthenticated")
    assert held["pending"] == 3
    assert len(seen.warnings) == 1 and "3 scan(s) kept" in seen.warnings[0]
    assert right_key not in seen.warnings[0] and right_key not in str(seen.records)
    assert not seen.events("refused")

    delivery.resume()
    send_all(delivery, outbox)
    assert outbox.counts() == {"pending": 0, "answered": 3}
    assert [r["evidence_no"] for r in seen.events("accepted")] == numbers
    assert api.head_seq() == head + 3


def test_a_revoked_station_keeps_its_scans_queued(api, tmp_path):
    numbers = firearms(api, 2)
    key = api.station("ng-desk", "220102", "scanner-1")
    delivery, outbox, seen = delivery_for(api, tmp_path, key)
    queue_scans(outbox, numbers[:1])
    send_all(delivery, outbox)
    assert outbox.counts() == {"pending": 0, "answered": 1}
    api.services.stations.revoke(api.custody.users.actor("admin"), "ng-desk")
    queue_scans(outbox, [numbers[1], numbers[1]], batch="after-revocation")
    send_all(delivery, outbox)
    assert outbox.counts() == {"pending": 2, "answered": 1}
    [held] = seen.events("held")
    assert (held["hold"], held["status"]) == ("credentials", 401)
    assert len(seen.warnings) == 1


def test_a_device_not_bound_to_the_station_holds_its_own_scans_and_no_others(api, tmp_path):
    numbers = firearms(api, 4)
    key = api.station("ng-desk", "220102", "scanner-1")
    delivery, outbox, seen = delivery_for(api, tmp_path, key)
    for n, number in enumerate(numbers):
        queue_scans(outbox, [number], device="scanner-9" if n % 2 == 0 else "scanner-1", batch=f"{n}-")
    head = api.head_seq()
    send_all(delivery, outbox)
    assert outbox.counts() == {"pending": 2, "answered": 2}
    assert [r["evidence_no"] for r in seen.events("accepted")] == [numbers[1], numbers[3]]
    assert api.head_seq() == head + 2
    [held] = seen.events("held")
    assert (held["hold"], held["status"], held["type"]) == ("binding", 403, "/problems/device-not-bound")
    assert (held["device"], held["scope"]) == ("scanner-9", "device")
    assert len(seen.warnings) == 1 and "scanner-9" in seen.warnings[0] and "not bound" in seen.warnings[0]
    assert delivery.held is None and delivery.held_devices == {"scanner-9"}
    assert not seen.events("refused")


def test_an_unknown_number_is_refused_for_good_and_the_next_scan_is_sent(api, tmp_path):
    [number] = firearms(api, 1)
    unknown = str(EvidenceNumber(ItemKind.FIREARM, "220102", 2026, 4040))
    key = api.station("ng-desk", "220102", "scanner-1")
    delivery, outbox, seen = delivery_for(api, tmp_path, key)
    queue_scans(outbox, [unknown, number])
    send_all(delivery, outbox)
    assert outbox.counts() == {"pending": 0, "answered": 2}
    [refused] = seen.events("refused")
    assert (refused["status"], refused["type"]) == (404, "/problems/unknown-item")
    assert [r["evidence_no"] for r in seen.events("accepted")] == [number]
    assert delivery.held is None and not seen.events("held") and not seen.warnings


def test_a_reload_with_a_broken_configuration_stays_held_and_says_why(api, tmp_path):
    [number] = firearms(api, 1)
    api.station("ng-desk", "220102", "scanner-1")

    def broken() -> str:
        raise ConfigError("station.toml: service.key is missing")

    delivery, outbox, seen = delivery_for(api, tmp_path, "csk_wrong", reread=broken)
    queue_scans(outbox, [number])
    send_all(delivery, outbox)
    delivery.resume()
    assert delivery.held is not None
    assert seen.events("reload_failed") and "service.key is missing" in seen.warnings[-1]
    assert outbox.counts() == {"pending": 1, "answered": 0}
