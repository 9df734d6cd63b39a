"""A firearm that fires standard ammunition and an ammunition lot walked from intake to destroyed by the
commands people type and through the simulated devices at the site, on SQLite and on PostgreSQL.

The clerk closes the case and hands both over; the custodian seals them before a witness. The city's
application is refused while the firearm has no ballistic samples; the seal is opened, the firearm
checked out to the lab, test-fired (a bullet and a cartridge case kept as new items), returned, and
sealed again with its samples; an application naming a sample is refused. The province builds a batch;
its builder may not approve it, a second officer does. A witness in the custody chain is refused, the
site does not open before two witnesses, then opens bound to the furnace station. At the site the
station agent (`custody station run`) reads the firearm's barcode from a simulated scanner on a real pty
and the lot's NDEF tag through vpcd → pcscd → pyscard: an unknown code and a miscounted lot are findings
that write nothing; the batch does not close with the lot unaccounted; counted right, the lot is
destroyed; photos are kept before and after; the batch closes at the ledger's head. The ledger verifies
and replays at each stage of the walk."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_stack import (
    CASE_NO,
    Bureau,
    CommandDesk,
    Service,
    StationProcess,
    bureau_on,
    station_config,
)

from custody.intake import AmmunitionIntake
from custody.model import Department, ItemState, Role
from simulators.scanner import ScannerSimulator
from simulators.tag import VPCD_PORTS, VirtualTag

pytestmark = [pytest.mark.devices, pytest.mark.xdist_group("pcscd")]

PASSWORD = "destroy before witnesses 2026"
READER = "Virtual PCD 00 00"
STORE, ROOM, SHELF = "L220102-A", "L220102-A-1", "L220102-A-1-01"
FURNACE = "prov-furnace"
ROUNDS = 40
JPEG = b"\xff\xd8\xff\xe0" + bytes(256)
PROVINCE_DEPARTMENT = Department.PROVINCIAL_PUBLIC_ORDER
PEOPLE = (
    ("ng-custodian", "南关治安", "220102", Department.PUBLIC_ORDER, Role.CUSTODIAN),
    ("ng-witness", "南关见证人", "220102", Department.POLICE_STATION, Role.INVESTIGATOR),
    ("ng-witness2", "南关见证人二", "220102", Department.POLICE_STATION, Role.INVESTIGATOR),
    ("ng-investigator", "南关刑侦", "220102", Department.CRIMINAL_INVESTIGATION, Role.INVESTIGATOR),
    ("ng-auditor", "南关督察", "220102", Department.INSPECTION, Role.AUDITOR),
    ("kc-clerk", "宽城物证管理员", "220103", Department.EVIDENCE_ROOM, Role.CLERK),
    ("cc-custodian", "长春治安", "220100", Department.PUBLIC_ORDER, Role.CUSTODIAN),
    (
        "prov-destruction",
        "省厅销毁专员",
        "220000",
        Department.PROVINCIAL_PUBLIC_ORDER,
        Role.DESTRUCTION_OFFICER,
    ),
    (
        "prov-destruction2",
        "省厅销毁专员二",
        "220000",
        Department.PROVINCIAL_PUBLIC_ORDER,
        Role.DESTRUCTION_OFFICER,
    ),
)


@pytest.fixture(params=["sqlite", "postgresql"])
def bureau(request: pytest.FixtureRequest, tmp_path: Path, pcscd: Any) -> Iterator[tuple[Bureau, str]]:
    """The e2e bureau on either back end: its closed-case firearm (fires standard ammunition) and an
    ammunition lot of 40 rounds, the people of the walk with a password each, the Nanguan store's
    locations, and the province's furnace station (a scanner and a reader). Yields the bureau and the
    station's key."""
    prepared = bureau_on(request, tmp_path / "bureau", request.param, firearms=1)
    custody = prepared.custody()
    try:
        admin = custody.users.actor("admin")
        clerk = custody.users.actor("ng-clerk")
        lot = custody.items.register_ammunition(clerk, CASE_NO, AmmunitionIntake("7.62mm", ROUNDS, "71"))
        for username, name, unit, department, role in PEOPLE:
            custody.users.add(username, name, unit, department, {role})
        for username in ("admin", "ng-clerk", *(p[0] for p in PEOPLE)):
            custody.users.set_password(admin, username, PASSWORD)
        custodian = custody.users.actor("ng-custodian")
        for code, place in ((STORE, "南关物证库"), (ROOM, "一号间"), (SHELF, "1号架")):
            custody.locations.add(custodian, code, place)
        _station, key = custody.stations.add(
            admin, FURNACE, "220000", Department.PROVINCIAL_PUBLIC_ORDER, ("scanner-1", "reader-1")
        )
    finally:
        custody.close()
    prepared.items.append(lot)
    prepared.numbers.append(lot.evidence_no)
    yield prepared, key


class Desk(CommandDesk):
    def act(self, user: str, *args: str, second_persons: int = 0) -> dict[str, Any]:
        """Run a command that must succeed; its last JSON line (the ledger is checked at the walk's
        stages, not after every act: each check is two more processes)."""
        done = self.run(user, *args, second_persons=second_persons)
        assert done.returncode == 0, f"{args}: {done.stderr}"
        answer: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
        return answer

    def refused(self, user: str, *args: str, says: str, second_persons: int = 0) -> None:
        """A command that must be refused with ``says`` in its message, writing nothing."""
        head = self.head()
        done = self.run(user, *args, second_persons=second_persons)
        assert done.returncode != 0, f"{args} was not refused: {done.stdout}"
        assert says in done.stdout + done.stderr, done.stdout + done.stderr
        assert self.head() == head, f"{args}: a refusal wrote to the ledger"

    def lines(self, user: str, *args: str) -> list[dict[str, Any]]:
        done = self.run(user, *args)
        assert done.returncode == 0, f"{args}: {done.stderr}"
        return [json.loads(line) for line in done.stdout.splitlines()]

    def state(self, number: str) -> ItemState:
        custody = self.bureau.custody()
        try:
            return custody.items.item(None, number).state
        finally:
            custody.close()


def answered(station: StationProcess) -> dict[str, Any]:
    return station.until(lambda r: r.get("event") in ("accepted", "refused"))


def present(station: StationProcess, tag: VirtualTag) -> dict[str, Any]:
    """Put the tag on the reader until the station has the service's answer; then take it away."""
    tag.put_on_reader()
    try:
        return answered(station)
    finally:
        tag.take_off_reader()
        station.until(lambda r: r.get("event") == "removed")


def test_a_firearm_and_a_lot_walk_from_intake_to_destroyed_at_the_site(
    bureau: tuple[Bureau, str], tmp_path: Path, stations: Any
) -> None:
    prepared, station_key = bureau
    gun, lot = prepared.numbers
    desk = Desk(prepared, tmp_path, PASSWORD)

    # intake to the sealed store
    desk.act("ng-clerk", "case", "close", CASE_NO)
    offered = desk.act("ng-clerk", "handover", "offer", CASE_NO, gun, lot, "--to", "ng-custodian")
    desk.act("ng-custodian", "handover", "accept", str(offered["id"]))
    sealing = ("seal", "create", "--location", SHELF, "--witness")
    seal = desk.act("ng-custodian", *sealing, "ng-witness", gun, lot, second_persons=1)
    apply = ("destruction", "apply", "--unit", "220100")
    desk.refused("cc-custodian", *apply, gun, lot, says="sample")  # no ballistic samples on record

    # the seal opened, the firearm test-fired at the lab, its samples sealed with it
    desk.act(
        "ng-custodian",
        *("seal", "open", seal["seal_no"], "--witness", "ng-witness", "--reason", "送检制作弹头弹壳样本"),
        second_persons=1,
    )
    to_the_lab = ("--purpose", "lab", "--to", "刑科所", "--due", "2027-06-30")
    desk.act("ng-custodian", "item", "checkout", gun, *to_the_lab)
    fired = desk.act(
        "ng-investigator",
        *("sample", "record", gun, "--lab", "刑科所", "--examiner", "王检验师", "--lab-stock", "实验室库存"),
        *("--bullets", "1", "--cases", "1"),
    )
    samples = [s["evidence_no"] for s in fired["samples"]]
    desk.act("ng-custodian", "item", "return", gun)
    offered = desk.act("ng-clerk", "handover", "offer", CASE_NO, *samples, "--to", "ng-custodian")
    desk.act("ng-custodian", "handover", "accept", str(offered["id"]))
    desk.act("ng-custodian", *sealing, "ng-witness2", gun, lot, *samples, second_persons=1)
    desk.refused("cc-custodian", *apply, gun, lot, samples[0], says=samples[0])  # a sample is never nominated
    application = desk.act("cc-custodian", *apply, gun, lot)
    desk.ledger_is_sound()
    assert {i["state"] for i in application["items"]} == {"nominated"}

    # the province's batch: the builder never approves; a witness in the chain is refused
    officer = "prov-destruction"
    made = desk.act(
        officer,
        *("batch", "create", str(application["id"]), "--method", "smelting", "--place", "长春钢厂"),
        *("--date", "2027-01-15"),
    )
    batch = str(made["id"])
    approving = ("batch", "approve", batch, "--approver")
    desk.refused(officer, *approving, officer, says="approve", second_persons=1)
    approved = desk.act(officer, *approving, "prov-destruction2", second_persons=1)
    assert {i["state"] for i in approved["items"]} == {"approved"}
    desk.refused(officer, "batch", "witness", batch, "ng-witness", says="custody", second_persons=1)
    desk.act(officer, "batch", "witness", batch, "ng-auditor", second_persons=1)
    open_site = (
        "batch",
        "site",
        batch,
        "--method",
        "smelting",
        "--place",
        "长春钢厂熔炉",
        "--station",
        FURNACE,
    )
    desk.refused(officer, *open_site, says="1 witness(es)")
    desk.act(officer, "batch", "witness", batch, "kc-clerk", second_persons=1)
    opened = desk.act(officer, *open_site)
    assert (opened["status"], opened["station"]) == ("site", FURNACE)
    before = tmp_path / "before.jpg"
    before.write_bytes(JPEG)
    desk.act(officer, "batch", "photo", batch, gun, str(before), "--before")

    # the site: the furnace station's scanner and reader
    service = Service(prepared).start()
    try:
        with ScannerSimulator(tmp_path / "ttyFurnace") as scanner:
            config_dir = tmp_path / "furnace"
            config_dir.mkdir()
            config = station_config(config_dir, service.url, station_key, scanner=scanner.link, reader=READER)
            station = stations(config)
            assert scanner.wait_for_reader()
            station.reported(lambda r: r.get("event") == "reader_added" and r.get("reader") == READER)
            scanner.scan("NOT-A-CODE")
            unknown = answered(station)
            assert (unknown["event"], unknown["site_read"]) == ("accepted", "unknown"), unknown
            scanner.scan(gun)
            destroyed = answered(station)
            assert (destroyed["event"], destroyed["site_read"], destroyed["evidence_nos"]) == (
                "accepted",
                "destroyed",
                [gun],
            )
            desk.ledger_is_sound()
            miscount = desk.act(officer, "batch", "count", batch, lot, "--rounds", str(ROUNDS - 1))
            assert (miscount["status"], miscount["counted"], miscount["recorded"]) == (
                "rounds_differ",
                ROUNDS - 1,
                ROUNDS,
            )
            with VirtualTag("ntag213", text=lot, port=VPCD_PORTS[0]) as tag:
                uncounted = present(station, tag)
                assert (uncounted["site_read"], uncounted["key"]) == ("uncounted", "batch.rounds_not_counted")
                desk.refused(officer, "batch", "close", batch, says=lot)  # the lot is unaccounted for
                desk.act(officer, "batch", "count", batch, lot, "--rounds", str(ROUNDS))
                burnt = present(station, tag)
            assert (burnt["site_read"], burnt["evidence_nos"]) == ("destroyed", [lot])
    finally:
        service.close()

    after = tmp_path / "after.jpg"
    after.write_bytes(JPEG + b"after")
    desk.act(officer, "batch", "photo", batch, gun, str(after), "--after")
    closed = desk.act(officer, "batch", "close", batch)
    desk.ledger_is_sound()  # verified and replayed: the samples and their links rebuilt too
    assert (closed["status"], f"{closed['closed_seq']}:{closed['closed_hash']}") == ("closed", desk.head())
    assert {desk.state(n) for n in (gun, lot)} == {ItemState.DESTROYED}
    assert {desk.state(n) for n in samples} == {ItemState.SEALED}  # samples are kept for good
    findings = desk.lines(officer, "batch", "reads", batch, "--findings")
    assert [(f["status"], f["station"]) for f in findings] == [
        ("unknown", FURNACE),
        ("rounds_differ", ""),
        ("uncounted", FURNACE),
    ]
    shown = desk.lines(officer, "item", "show", gun)
    destruction = [e for e in shown if e.get("event_type") == "destroyed"]
    assert len(destruction) == 1 and destruction[0]["station"] == FURNACE
