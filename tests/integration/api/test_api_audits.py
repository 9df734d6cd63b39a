"""Audits over HTTP, on SQLite and PostgreSQL: an auditor opens an audit of a room of the Nanguan store,
posts batches of reads (each answered on its own, the good ones committed, a batch over 50 refused
whole), a station bound to the audit posts its own reads with its key, the round is submitted and the
audit closed with its counts and ledger head; the discrepancies are listed for the unit and its parents
and resolved by their owner before a second auditor's own session. A blind audit shows nothing the
records expect until its round is submitted."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from api_harness import Harness, problem, station_headers, unique
from seal_world import accepted_items

from api.audit_schemas import ReadsOut
from custody.model import Department, Role
from custody.stations import Stations

STORE = "L220102-A"


@pytest.fixture
def api(module_api: Harness) -> Iterator[Harness]:
    yield module_api


@dataclass
class Room:
    """A room of the Nanguan store of its own, with two seals on its shelf (each over a firearm and a
    lot), and an auditor and a second auditor who had no part in their custody."""

    code: str
    shelf: str
    seals: list[tuple[str, list[str]]]
    auditor: dict[str, str]
    second: str  # the second auditor's username


def _place(api: Harness, code: str, name: str) -> None:
    custodian = api.custody.users.actor("ng-custodian")
    if code not in {loc.code for loc in api.custody.locations.list(custodian, "220102")}:
        api.custody.locations.add(custodian, code, name)


@pytest.fixture
def room(api: Harness) -> Room:
    _place(api, STORE, "一号库")
    code = f"{STORE}-R{unique('')}"
    shelf = f"{code}-01"
    _place(api, code, "室")
    _place(api, shelf, "架")
    witness_name = unique("ng-witness-")
    api.add_user(witness_name, "220102", Department.POLICE_STATION, Role.INVESTIGATOR)
    custodian = api.custody.users.actor("ng-custodian")
    witness = api.custody.users.actor(witness_name)
    seals = []
    for _ in range(2):
        numbers = [i.evidence_no for i in accepted_items(api.custody, 2)]
        seals.append((api.custody.seals.create(custodian, shelf, numbers, witness).seal_no, numbers))
    auditor = api.add_user(unique("ng-aud-"), "220102", Department.INSPECTION, Role.AUDITOR)
    second = api.add_user(unique("ng-aud-"), "220102", Department.INSPECTION, Role.AUDITOR)
    return Room(code, shelf, seals, api.login(auditor), second)


def open_audit(api: Harness, room: Room, **more: object) -> dict[str, object]:
    body = {"unit_code": "220102", "locations": [room.code], "mode": "full", "seed": "42", **more}
    answer = api.client.post("/api/v1/audits", headers=room.auditor, json=body)
    assert answer.status_code == 201, answer.text
    opened: dict[str, object] = answer.json()
    return opened


def test_an_audit_is_read_submitted_and_closed_over_http(api, room):
    audit = open_audit(api, room)
    assert (audit["status"], audit["round"], audit["submitted_round"], audit["reading"]) == (
        "open",
        1,
        0,
        True,
    )
    assert audit["drawn"] == 4 and audit["findings"]["missing"] == 4 and audit["locations"] == [room.code]
    (seal_a, items_a), (_seal_b, items_b) = room.seals
    head = api.head_seq()
    reads = [
        {"code": seal_a, "location_code": room.shelf},
        {"code": seal_a},  # a repeat: counted, no second event
        {"code": "XYZ-NOT-A-CODE"},
        {"code": "F220102202600000999"},  # evidence-shaped, check digits wrong: refused alone
        {"code": items_b[0], "source": "manual"},  # typed by hand without a reason: refused alone
    ]
    answer = api.client.post(
        f"/api/v1/audits/{audit['id']}/reads", headers=room.auditor, json={"reads": reads}
    )
    assert answer.status_code == 200, answer.text
    taken = answer.json()["reads"]
    assert [t["status"] for t in taken] == ["recorded", "repeat", "recorded", "refused", "refused"]
    assert (taken[0]["kind"], taken[0]["known"], sorted(taken[0]["names"])) == ("seal", True, sorted(items_a))
    assert (taken[2]["kind"], taken[2]["known"], taken[2]["problem"]) == ("unknown", False, None)
    assert ReadsOut.model_validate(answer.json()).model_dump(mode="json") == answer.json()  # as documented
    refused = taken[3]["problem"]
    assert refused["type"].startswith("/problems/") and refused["key"] and refused["detail"]
    assert taken[4]["problem"]["key"] == "audit.manual_reason"
    assert api.head_seq() == head + 2  # one audit_seen event per item seen, committed before the answer

    shown = api.client.get(f"/api/v1/audits/{audit['id']}", headers=room.auditor).json()
    assert shown["reads"] == 2 and shown["unknown_codes"] == ["XYZ-NOT-A-CODE"]
    assert (shown["findings"]["found"], shown["findings"]["missing"]) == (2, 2)

    submitted = api.client.post(f"/api/v1/audits/{audit['id']}/submit", headers=room.auditor)
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["escalated"] is False and submitted.json()["round"] == 1
    late = api.client.post(
        f"/api/v1/audits/{audit['id']}/reads", headers=room.auditor, json={"reads": [{"code": seal_a}]}
    )
    assert problem(late, 409, "transition-refused")["key"] == "audit.not_reading"
    closed = api.client.post(f"/api/v1/audits/{audit['id']}/close", headers=room.auditor)
    assert closed.status_code == 200, closed.text
    result = closed.json()
    assert result["counts"]["found"] == 2 and result["counts"]["missing"] == 2
    assert result["counts"]["unknown_code"] == 1 and result["discrepancies"] == 3
    assert result["head_seq"] == api.head_seq() and result["audit"]["status"] == "closed"
    again = api.client.post(f"/api/v1/audits/{audit['id']}/close", headers=room.auditor)
    assert problem(again, 409, "transition-refused")["key"] == "audit.closed"

    # listed for the unit and its parents, nowhere else; resolved before a second auditor
    custodian = api.login("ng-custodian")
    listed = api.client.get("/api/v1/discrepancies?unit=220100", headers=custodian).json()["discrepancies"]
    mine = {d["code"]: d for d in listed if d["audit_id"] == audit["id"]}
    assert set(mine) == {*items_b, "XYZ-NOT-A-CODE"}
    assert mine[items_b[0]]["owner"] == "ng-custodian" and mine[items_b[0]]["status"] == "open"
    assert (
        api.client.get("/api/v1/discrepancies?unit=220200", headers=custodian).json()["discrepancies"] == []
    )
    outsider = api.client.get("/api/v1/discrepancies", headers=api.login("jl-clerk")).json()
    assert all(d["audit_id"] != audit["id"] for d in outsider["discrepancies"])

    missing = mine[items_b[0]]
    path = f"/api/v1/discrepancies/{missing['id']}/resolve"
    body = {"resolution": "found_elsewhere", "reason": "在隔壁架上找到"}
    head = api.head_seq()
    unconfirmed = api.client.post(path, headers=custodian, json=body)
    assert problem(unconfirmed, 422, "invalid-input")["field"] == "X-Second-Token"
    by_clerk = api.client.post(
        path, headers={**custodian, "X-Second-Token": api.token("ng-clerk")}, json=body
    )
    assert problem(by_clerk, 409, "transition-refused")["key"] == "discrepancy.confirmer_not_auditor"
    bad = api.client.post(
        path,
        headers={**custodian, "X-Second-Token": api.token(room.second)},
        json={**body, "resolution": "gone"},
    )
    assert bad.status_code == 422
    assert api.head_seq() == head
    resolved = api.client.post(
        path, headers={**custodian, "X-Second-Token": api.token(room.second)}, json=body
    )
    assert resolved.status_code == 200, resolved.text
    assert (resolved.json()["status"], resolved.json()["resolution"]) == ("resolved", "found_elsewhere")
    assert resolved.json()["resolved_seq"] == api.head_seq() == head + 1
    twice = api.client.post(path, headers={**custodian, "X-Second-Token": api.token(room.second)}, json=body)
    assert problem(twice, 409, "transition-refused")["key"] == "discrepancy.resolved"
    still_open = api.client.get("/api/v1/discrepancies", headers=custodian).json()["discrepancies"]
    assert missing["id"] not in {d["id"] for d in still_open}
    every = api.client.get("/api/v1/discrepancies?status=all", headers=custodian).json()["discrepancies"]
    assert missing["id"] in {d["id"] for d in every}


def test_a_batch_over_fifty_reads_is_refused_whole(api, room):
    audit = open_audit(api, room)
    head = api.head_seq()
    reads = [{"code": room.seals[0][0]}] * 51
    answer = api.client.post(
        f"/api/v1/audits/{audit['id']}/reads", headers=room.auditor, json={"reads": reads}
    )
    problem(answer, 422, "invalid-input")
    empty = api.client.post(f"/api/v1/audits/{audit['id']}/reads", headers=room.auditor, json={"reads": []})
    problem(empty, 422, "invalid-input")
    assert api.head_seq() == head
    assert api.client.get(f"/api/v1/audits/{audit['id']}", headers=room.auditor).json()["reads"] == 0
    fifty = api.client.post(
        f"/api/v1/audits/{audit['id']}/reads", headers=room.auditor, json={"reads": reads[:50]}
    )
    assert fifty.status_code == 200 and [r["status"] for r in fifty.json()["reads"]][:2] == [
        "recorded",
        "repeat",
    ]
    assert api.head_seq() == head + 2


def test_a_station_bound_to_the_audit_reads_into_it_with_its_key(api, room):
    name = unique("ng-audit-desk-")
    key = api.station(name, "220102", "reader-1")
    headers = station_headers(key, "reader-1")
    body = {
        "reads": [{"uid": "04A1B2C3D4E5F6", "tamper": "closed"}, {"code": room.seals[0][0], "tamper": "open"}]
    }
    unbound = api.client.post("/api/v1/audits/reads", headers=headers, json=body)
    assert problem(unbound, 404, "not-found")["key"] == "audit.station_not_auditing"
    audit = open_audit(api, room, station=name)
    assert audit["station"] == name
    as_user = api.client.post("/api/v1/audits/reads", headers=room.auditor, json=body)
    assert problem(as_user, 403, "not-permitted")["key"] == "audit.stations_only"
    taken = api.client.post("/api/v1/audits/reads", headers=headers, json=body)
    assert taken.status_code == 200, taken.text
    assert taken.json()["audit_id"] == audit["id"]
    assert [(t["status"], t["kind"], t["known"]) for t in taken.json()["reads"]] == [
        ("recorded", "unknown", False),
        ("recorded", "seal", True),
    ]
    assert api.client.post(f"/api/v1/audits/{audit['id']}/submit", headers=room.auditor).status_code == 200
    closed = api.client.post(f"/api/v1/audits/{audit['id']}/close", headers=room.auditor).json()
    assert closed["counts"]["seal_broken"] == 2 and closed["counts"]["missing"] == 2
    again = api.client.post("/api/v1/audits/reads", headers=headers, json=body)
    assert problem(again, 404, "not-found")["key"] == "audit.station_not_auditing"
    # each request logged once, the taken reads' entry in their own transaction
    logged = api.client.get(f"/api/v1/access-log?station={name}", headers=room.auditor).json()["entries"]
    assert [(e["route"], e["status"], e["device"]) for e in logged] == [
        ("/api/v1/audits/reads", 404, "reader-1"),
        ("/api/v1/audits/reads", 200, "reader-1"),
        ("/api/v1/audits/reads", 404, "reader-1"),
    ]


def test_a_station_key_rotated_or_device_unbound_elsewhere_stops_its_reads_though_remembered(api, room):
    name = unique("ng-audit-desk-")
    key = api.station(name, "220102", "reader-1", "reader-2")
    audit = open_audit(api, room, station=name)
    body = {"reads": [{"code": room.seals[0][0], "tamper": "closed"}]}
    first = api.client.post("/api/v1/audits/reads", headers=station_headers(key, "reader-1"), json=body)
    assert first.status_code == 200, first.text
    assert api.services.station_keys.recall(key, "reader-1") is not None  # remembered: no key read
    elsewhere = Stations(api.custody.store)  # another process: this one is not told
    admin = api.custody.users.actor("admin")
    elsewhere.unbind(admin, name, "reader-2", lambda _conn, _change: None)
    head, reads = api.head_seq(), audit_reads(api, room, audit["id"])
    unbound = api.client.post("/api/v1/audits/reads", headers=station_headers(key, "reader-2"), json=body)
    problem(unbound, 403, "device-not-bound")
    _station, new = elsewhere.rotate_key(admin, name, lambda _conn, _change: None)
    rotated = api.client.post("/api/v1/audits/reads", headers=station_headers(key, "reader-1"), json=body)
    problem(rotated, 401, "unauthenticated")
    assert (api.head_seq(), audit_reads(api, room, audit["id"])) == (head, reads)  # nothing written
    assert api.services.station_keys.recall(key) is None  # forgotten: the next request reads the key
    again = api.client.post("/api/v1/audits/reads", headers=station_headers(new, "reader-1"), json=body)
    assert again.status_code == 200 and again.json()["reads"][0]["status"] == "repeat"
    assert (api.head_seq(), audit_reads(api, room, audit["id"])) == (head, reads)  # counted: one read


def audit_reads(api: Harness, room: Room, audit_id: object) -> int:
    shown = api.client.get(f"/api/v1/audits/{audit_id}", headers=room.auditor)
    assert shown.status_code == 200, shown.text
    return int(shown.json()["reads"])


def test_a_blind_audit_shows_nothing_expected_until_its_round_is_submitted(api, room):
    audit = open_audit(api, room, blind=True)
    numbers = [n for _seal, pair in room.seals for n in pair]
    assert (audit["blind"], audit["hidden"], audit["drawn"], audit["findings"]) == (True, True, None, None)
    seal_no = room.seals[0][0]
    reads = {"reads": [{"code": seal_no, "location_code": room.shelf}, {"code": "NOT-OURS-1"}]}
    taken = api.client.post(f"/api/v1/audits/{audit['id']}/reads", headers=room.auditor, json=reads)
    assert taken.status_code == 200, taken.text
    assert [(t["status"], t["kind"], t["known"], t["names"]) for t in taken.json()["reads"]] == [
        ("recorded", "seal", True, []),
        ("recorded", "unknown", False, []),
    ]
    shown = api.client.get(f"/api/v1/audits/{audit['id']}", headers=room.auditor)
    assert shown.status_code == 200
    body = shown.json()
    assert (body["hidden"], body["drawn"], body["findings"], body["reads"]) == (True, None, None, 2)
    assert body["unknown_codes"] == ["NOT-OURS-1"]
    assert not any(n in shown.text for n in numbers)
    item = api.client.get(f"/api/v1/items/{numbers[0]}", headers=room.auditor)
    problem(item, 404, "unknown-item")
    submitted = api.client.post(f"/api/v1/audits/{audit['id']}/submit", headers=room.auditor)
    assert submitted.status_code == 200
    revealed = submitted.json()["audit"]
    assert revealed["hidden"] is False and revealed["drawn"] == 4
    assert (revealed["findings"]["found"], revealed["findings"]["missing"]) == (2, 2)
    assert api.client.get(f"/api/v1/items/{numbers[0]}", headers=room.auditor).status_code == 200


def test_refusals_write_nothing_and_other_units_see_no_audit(api, room):
    head = api.head_seq()
    custodian = api.client.post(
        "/api/v1/audits", headers=api.login("ng-custodian"), json={"unit_code": "220102", "mode": "full"}
    )
    problem(custodian, 403, "not-permitted")
    other_unit = api.client.post(
        "/api/v1/audits",
        headers=room.auditor,
        json={"unit_code": "220102", "locations": ["L220200-M"], "mode": "full"},
    )
    assert other_unit.status_code in (404, 409), other_unit.text
    bad_mode = api.client.post(
        "/api/v1/audits", headers=room.auditor, json={"unit_code": "220102", "mode": "most"}
    )
    problem(bad_mode, 422, "invalid-input")
    assert api.head_seq() == head
    audit = open_audit(api, room)
    jl_auditor = api.add_user(unique("jl-aud-"), "220200", Department.INSPECTION, Role.AUDITOR)
    hidden = api.client.get(f"/api/v1/audits/{audit['id']}", headers=api.login(jl_auditor))
    assert problem(hidden, 404, "not-found")["key"] == "audit.unknown"
    other = api.client.post(f"/api/v1/audits/{audit['id']}/submit", headers=api.login(room.second))
    assert problem(other, 409, "transition-refused")["key"] == "audit.not_opener"
    assert api.client.get("/api/v1/audits/999999", headers=room.auditor).status_code == 404
