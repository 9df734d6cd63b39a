"""An audit of a sealed store through the real parts, on SQLite and on PostgreSQL: the store room's
station (scanner simulator → pty, virtual NTAG 213 TT seal tags → vpcd → pcscd) is put into the audit
on the service; the tags of two seals are presented (one with its tamper loop cut), the scanner reads the
items of a third seal one by one, an item of another county's store and a code that names nothing; a
fourth seal is withheld. The reconciliation finds exactly the planted discrepancies and no others."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e_stack import STATION, Bureau, SimulatedTag, bureau_on, station_config

from custody.intake import AmmunitionIntake, FirearmIntake
from custody.model import AuditMode, Department, EventType, Finding, Role
from custody.services import Custody

pytestmark = [pytest.mark.devices, pytest.mark.xdist_group("pcscd")]
READER = "Virtual PCD 00 00"
STORE, ROOM, SHELF = "L220102-A", "L220102-A-1", "L220102-A-1-01"
TAGS = ("04A0D17A000001", "04A0D17A000002", "04A0D17A000003", "04A0D17A000004")
UNKNOWN = "NOT-A-STORE-CODE-42"


def sealed_store(custody: Custody) -> tuple[list[tuple[str, list[str]]], str]:
    """Four seals on a shelf of the Nanguan store, each over a firearm and a lot of a closed case, each
    with its seal tag bound; and an item accepted into the Kuancheng store."""
    add = custody.users.add
    custodian = add("ng-custodian", "南关治安", "220102", Department.PUBLIC_ORDER, {Role.CUSTODIAN})
    witness = add("ng-witness", "南关见证人", "220102", Department.POLICE_STATION, {Role.INVESTIGATOR})
    add("cc-auditor", "长春督察", "220100", Department.INSPECTION, {Role.AUDITOR})
    clerk = custody.users.actor("ng-clerk")
    for code, name in ((STORE, "南关物证库"), (ROOM, "一号间"), (SHELF, "1号架")):
        custody.locations.add(custodian, code, name)
    seals = []
    for n, uid in enumerate(TAGS):
        case_no = f"长南公刑字〔2026〕A{n}号"
        custody.cases.open(clerk, case_no, "非法持有枪支案")
        gun = custody.items.register_firearm(
            clerk, case_no, FirearmIntake("手枪", "54式", f"AU-{n}", "7.62mm", True)
        )
        lot = custody.items.register_ammunition(clerk, case_no, AmmunitionIntake("7.62mm", 30, "71"))
        custody.cases.close(clerk, case_no)
        numbers = [gun.evidence_no, lot.evidence_no]
        offer = custody.handovers.offer(clerk, case_no, "ng-custodian", numbers)
        custody.handovers.accept(custodian, offer.id)
        seal = custody.seals.create(custodian, SHELF, numbers, witness, tag_uid=uid)
        seals.append((seal.seal_no, numbers))
    kc_clerk = add("kc-clerk", "宽城物证管理员", "220103", Department.EVIDENCE_ROOM, {Role.CLERK})
    kc_custodian = add("kc-custodian", "宽城治安", "220103", Department.PUBLIC_ORDER, {Role.CUSTODIAN})
    custody.cases.open(kc_clerk, "长宽公刑字〔2026〕1号", "非法持有枪支案")
    other = custody.items.register_firearm(
        kc_clerk, "长宽公刑字〔2026〕1号", FirearmIntake("手枪", "64式", "KC-1", "7.65mm", True)
    )
    custody.cases.close(kc_clerk, "长宽公刑字〔2026〕1号")
    offer = custody.handovers.offer(kc_clerk, "长宽公刑字〔2026〕1号", "kc-custodian", [other.evidence_no])
    custody.handovers.accept(kc_custodian, offer.id)
    return seals, other.evidence_no


@pytest.fixture(params=["sqlite", "postgresql"])
def bureau(request: pytest.FixtureRequest, tmp_path: Path) -> Bureau:
    return bureau_on(request, tmp_path / "bureau", request.param, firearms=0)


def answered(station) -> dict:
    return station.until(lambda r: r.get("event") in ("accepted", "refused"))


def test_an_audit_through_the_station_finds_exactly_the_planted_discrepancies(
    tmp_path, bureau: Bureau, service, scanner, stations, pcscd
):
    custody = bureau.custody()
    try:
        seals, foreign = sealed_store(custody)
        admin = custody.users.actor("admin")
        custody.stations.bind_location(admin, STATION, ROOM, lambda _c, _s: None)
        auditor = custody.users.actor("cc-auditor")
        audit = custody.audits.open(
            auditor, "220102", [STORE], mode=AuditMode.FULL, seed="1", station=STATION
        )
    finally:
        custody.close()
    (intact_seal, intact), (cut_seal, cut), (_scanned_seal, scanned), (_withheld, withheld) = seals

    config = station_config(tmp_path, service.url, bureau.station_key, scanner=scanner.link, reader=READER)
    station = stations(config)
    station.reported(lambda r: r.get("event") == "reader_added" and r.get("reader") == READER)
    assert scanner.wait_for_reader()

    for uid, seal_no, tamper_open in ((TAGS[0], intact_seal, False), (TAGS[1], cut_seal, True)):
        tag = SimulatedTag(
            "--type",
            "ntag213tt",
            "--uid",
            uid,
            "--text",
            seal_no,
            *(["--tamper-open"] if tamper_open else []),
        )
        try:
            tag.command("on", "on_reader")
            read = answered(station)
        finally:
            tag.close()
        assert (read["event"], read["audit_id"], read["kind"], read["code"]) == (
            "accepted",
            audit.id,
            "seal",
            seal_no,
        )
        assert read["tamper"] == ("open" if tamper_open else "closed")
        assert sorted(read["evidence_nos"]) == sorted(intact if not tamper_open else cut)
    for code in (*scanned, foreign, UNKNOWN):
        scanner.scan(code)
        read = answered(station)
        assert read["event"] == "accepted", read
        assert (read["event"], read["audit_id"], read["code"]) == ("accepted", audit.id, code)
    assert read["kind"] == "unknown" and read["known"] is False
    assert bureau.sightings() == []  # a station reading for an audit makes no sightings

    custody = bureau.custody()
    try:
        auditor = custody.users.actor("cc-auditor")
        custody.audits.submit(auditor, audit.id)
        closed, outcome = custody.audits.close(auditor, audit.id)
        findings = sorted((d.finding.value, d.code) for d in outcome.discrepancies)
        assert findings == sorted(
            [
                *((Finding.MISSING.value, n) for n in withheld),
                *((Finding.SEAL_BROKEN.value, n) for n in cut),
                (Finding.UNEXPECTED.value, foreign),
                (Finding.UNKNOWN_CODE.value, UNKNOWN),
            ]
        )
        assert sorted(o.code for o in outcome.found) == sorted(intact + scanned)
        assert closed.closed_seq == custody.ledger.head().seq
        history = custody.items.item(None, scanned[0]).history
        seen = [e for e in history if e.event_type == EventType.AUDIT_SEEN]
        assert len(seen) == 1 and (seen[0].station, seen[0].payload["location"]) == (STATION, ROOM)
        assert custody.ledger.verify().ok
        assert custody.ledger.replay()[1] == []
    finally:
        custody.close()
