"""The audit desk over plain HTTP, on SQLite and PostgreSQL: an auditor opens an audit by form, reads into
it through the desk's read box (htmx: the read's line and the counts as they stand) while the station
bound to the audit posts its own reads, and the counts fragment the page polls follows both; a blind
audit shows only the codes read and the unknown ones until its round is submitted; the round is
submitted and the audit closed by form; each discrepancy is shown with its owner, who resolves it before
a confirming auditor typing their own password. A refusal shows the core's reason and writes nothing; a
form without its CSRF token is refused; out of scope answers exactly like missing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from api_harness import PASSWORD, START, Harness, station_headers, unique
from fastapi.testclient import TestClient
from page_harness import csrf_of, logged_in
from seal_world import accepted_items

from custody.model import Department, Role

STORE = "L220102-A"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def api(module_api: Harness) -> Iterator[Harness]:
    module_api.clock.set(START)
    yield module_api
    module_api.clock.set(START)


def post(client: TestClient, path: str, data: dict[str, Any], page: str = "/", **more: Any) -> Any:
    """A form of the desk, sent with the session's CSRF token (read from ``page``)."""
    return client.post(path, data={**data, "csrf": csrf_of(client.get(page).text)}, **more)


def count(html: str, finding: str) -> int:
    found = re.search(rf'id="count-{finding}">(\d+)<', html)
    assert found, html
    return int(found.group(1))


@dataclass
class Room:
    """A room of the Nanguan store of its own, its shelf holding two seals (each over a firearm and a
    lot), two auditors who had no part in their custody, and a station of the unit."""

    code: str
    shelf: str
    seals: list[tuple[str, list[str]]]
    auditor: str
    second: str
    station: str
    station_key: str


def _place(api: Harness, code: str, name: str) -> None:
    custodian = api.custody.users.actor("ng-custodian")
    if code not in {loc.code for loc in api.custody.locations.list(custodian, "220102")}:
        api.custody.locations.add(custodian, code, name)


@pytest.fixture
def room(api: Harness) -> Room:
    _place(api, STORE, "一号库")
    code = f"{STORE}-W{unique('')}"
    shelf = f"{code}-01"
    _place(api, code, "室")
    _place(api, shelf, "架")
    witness = api.add_user(unique("ng-witness-"), "220102", Department.POLICE_STATION, Role.INVESTIGATOR)
    custodian = api.custody.users.actor("ng-custodian")
    seals = []
    for _ in range(2):
        numbers = [i.evidence_no for i in accepted_items(api.custody, 2)]
        made = api.custody.seals.create(custodian, shelf, numbers, api.custody.users.actor(witness))
        seals.append((made.seal_no, numbers))
    auditor = api.add_user(unique("ng-aud-"), "220102", Department.INSPECTION, Role.AUDITOR)
    second = api.add_user(unique("ng-aud-"), "220102", Department.INSPECTION, Role.AUDITOR)
    station = unique("ng-audit-desk-")
    return Room(code, shelf, seals, auditor, second, station, api.station(station, "220102", "scanner-1"))


def open_by_form(client: TestClient, room: Room, **more: Any) -> int:
    body = {"unit_code": "220102", "locations": room.code, "mode": "full", "seed": "42", **more}
    answer = post(client, "/audit", body, "/audit")
    assert answer.status_code == 303, answer.text
    return int(answer.headers["location"].rsplit("/", 1)[1])


def read(client: TestClient, audit_id: int, code: str, **more: Any) -> Any:
    return post(
        client, f"/audit/{audit_id}/reads", {"code": code, **more}, f"/audit/{audit_id}", headers=HTMX
    )


def closed_with_discrepancies(api: Harness, room: Room) -> tuple[int, list[dict[str, Any]]]:
    """An audit of the room by form: one seal read, the other's items missing, submitted and closed."""
    auditor = logged_in(api, room.auditor)
    audit_id = open_by_form(auditor, room)
    assert read(auditor, audit_id, room.seals[0][0], location_code=room.shelf).status_code == 200
    assert post(auditor, f"/audit/{audit_id}/submit", {}, f"/audit/{audit_id}").status_code == 303
    assert post(auditor, f"/audit/{audit_id}/close", {}, f"/audit/{audit_id}").status_code == 303
    listed = api.client.get("/api/v1/discrepancies?status=all", headers=api.login("ng-custodian")).json()
    return audit_id, [d for d in listed["discrepancies"] if d["audit_id"] == audit_id]


# ------------------------------------------------------------------------------------------ the desk


def test_the_desk_shows_each_user_the_forms_their_roles_may_send(api, room):
    auditor = logged_in(api, room.auditor).get("/audit")
    assert auditor.status_code == 200, auditor.text
    assert 'action="/audit"' in auditor.text and 'method="post"' in auditor.text and "核查台" in auditor.text
    assert (
        'for="unit_code"' in auditor.text
        and 'for="blind"' in auditor.text
        and 'for="audit-no"' in auditor.text
    )
    custodian = logged_in(api, "ng-custodian").get("/audit")
    assert custodian.status_code == 200
    assert 'for="unit_code"' not in custodian.text and 'for="audit-no"' not in custodian.text
    assert logged_in(api, "ng-investigator").get("/audit").status_code == 403
    assert 'href="/audit"' in logged_in(api, room.auditor).get("/").text  # the menu offers the desk
    assert 'href="/audit"' not in logged_in(api, "ng-investigator").get("/").text
    found = logged_in(api, room.auditor).get("/audit?audit=7")
    assert (found.status_code, found.headers["location"]) == (303, "/audit/7")


def test_live_counts_follow_the_read_box_and_the_station(api, room):
    auditor = logged_in(api, room.auditor)
    audit_id = open_by_form(auditor, room, station=room.station)
    shown = auditor.get(f"/audit/{audit_id}")
    assert shown.status_code == 200, shown.text
    assert (count(shown.text, "missing"), count(shown.text, "found")) == (4, 0)
    assert f'hx-get="/audit/{audit_id}/counts"' in shown.text and 'hx-trigger="every 2s"' in shown.text
    assert 'id="read-form"' in shown.text and 'for="code"' in shown.text

    (seal_a, items_a), (seal_b, _items_b) = room.seals
    head = api.head_seq()
    answer = read(auditor, audit_id, seal_a, location_code=room.shelf)
    assert answer.status_code == 200, answer.text
    assert "<html" not in answer.text and answer.text.lstrip().startswith("<li")
    assert seal_a in answer.text and all(n in answer.text for n in items_a)
    assert 'hx-swap-oob="true"' in answer.text and count(answer.text, "found") == 2
    assert api.head_seq() == head + 2  # one audit_seen per item under the seal

    station = api.client.post(
        "/api/v1/audits/reads",
        headers=station_headers(room.station_key),
        json={"reads": [{"code": seal_b, "location_code": room.shelf}, {"code": "NOT-OURS-7"}]},
    )
    assert station.status_code == 200, station.text
    counts = auditor.get(f"/audit/{audit_id}/counts", headers=HTMX)
    assert counts.status_code == 200 and "<html" not in counts.text
    assert (
        count(counts.text, "found"),
        count(counts.text, "missing"),
        count(counts.text, "unknown_code"),
    ) == (4, 0, 1)
    assert "NOT-OURS-7" in counts.text and 'id="reads-count">3<' in counts.text

    bad = read(auditor, audit_id, items_a[0][:-2] + ("00" if items_a[0][-2:] != "00" else "01"))
    assert bad.status_code == 200 and "read-refused" in bad.text and "校验" in bad.text
    manual = read(auditor, audit_id, items_a[0], manual="true")
    assert manual.status_code == 200 and "read-refused" in manual.text  # typed by hand needs a reason
    plain = post(auditor, f"/audit/{audit_id}/reads", {"code": seal_a}, f"/audit/{audit_id}")
    assert (plain.status_code, plain.headers["location"]) == (303, f"/audit/{audit_id}")


def test_a_blind_audit_shows_only_the_codes_read_and_the_unknown_ones_until_submitted(api, room):
    auditor = logged_in(api, room.auditor)
    audit_id = open_by_form(auditor, room, blind="true")
    numbers = [n for _seal, pair in room.seals for n in pair]
    shown = auditor.get(f"/audit/{audit_id}")
    assert shown.status_code == 200
    assert 'id="count-missing"' not in shown.text and 'id="drawn-count"' not in shown.text
    assert "blind-notice" in shown.text
    seal_no = room.seals[0][0]
    answer = read(auditor, audit_id, seal_no, location_code=room.shelf)
    assert answer.status_code == 200 and seal_no in answer.text
    assert not any(n in answer.text for n in numbers)
    read(auditor, audit_id, "NOT-OURS-9")
    counts = auditor.get(f"/audit/{audit_id}/counts", headers=HTMX)
    assert 'id="reads-count">2<' in counts.text and "NOT-OURS-9" in counts.text
    assert 'id="count-found"' not in counts.text
    page = auditor.get(f"/audit/{audit_id}")
    assert not any(n in page.text for n in numbers)
    submitted = post(auditor, f"/audit/{audit_id}/submit", {}, f"/audit/{audit_id}")
    assert submitted.status_code == 303, submitted.text
    revealed = auditor.get(f"/audit/{audit_id}")
    assert (count(revealed.text, "found"), count(revealed.text, "missing")) == (2, 2)
    assert 'id="read-form"' not in revealed.text and 'hx-trigger="every' not in revealed.text
    assert f'action="/audit/{audit_id}/close"' in revealed.text


def test_a_closed_audit_lists_its_discrepancies_with_owners_and_the_owner_resolves_one(api, room):
    audit_id, found = closed_with_discrepancies(api, room)
    missing = [d for d in found if d["finding"] == "missing"]
    assert len(missing) == 2 and {d["owner"] for d in missing} == {"ng-custodian"}
    auditor = logged_in(api, room.auditor)
    shown = auditor.get(f"/audit/{audit_id}")
    assert all(f'href="/discrepancy/{d["id"]}"' in shown.text for d in found)
    assert "ng-custodian" in shown.text and "缺失" in shown.text

    target = missing[0]
    page = f"/discrepancy/{target['id']}"
    custodian = logged_in(api, "ng-custodian")
    view = custodian.get(page)
    assert view.status_code == 200 and f'action="{page}/resolve"' in view.text
    assert f'href="/item/{target["code"]}"' in view.text
    assert 'for="confirmer"' in view.text and 'for="confirmer_password"' in view.text
    assert f'action="{page}/resolve"' not in logged_in(api, room.auditor).get(page).text

    body = {"resolution": "found_elsewhere", "reason": "在隔壁架上找到"}
    head = api.head_seq()
    unconfirmed = post(custodian, f"{page}/resolve", body, page)
    assert unconfirmed.status_code == 409 and 'role="alert"' in unconfirmed.text
    by_clerk = post(
        custodian, f"{page}/resolve", {**body, "confirmer": "ng-clerk", "confirmer_password": PASSWORD}, page
    )
    assert by_clerk.status_code == 409 and "ng-clerk" in by_clerk.text
    wrong = post(
        custodian, f"{page}/resolve", {**body, "confirmer": room.second, "confirmer_password": "nope"}, page
    )
    assert wrong.status_code == 422 and 'id="confirmer_password-refusal"' in wrong.text
    assert "在隔壁架上找到" in wrong.text  # the form keeps what was typed
    assert api.head_seq() == head

    done = post(
        custodian, f"{page}/resolve", {**body, "confirmer": room.second, "confirmer_password": PASSWORD}, page
    )
    assert done.status_code == 303, done.text
    assert api.head_seq() == head + 1
    every = api.client.get("/api/v1/discrepancies?status=all", headers=api.login("ng-custodian")).json()
    (resolved,) = [d for d in every["discrepancies"] if d["id"] == target["id"]]
    assert (resolved["status"], resolved["resolution"]) == ("resolved", "found_elsewhere")
    after = custodian.get(page)
    assert f'action="{page}/resolve"' not in after.text and "在别处找到" in after.text


# ------------------------------------------------------------------------------------- the guards


def test_refusals_show_the_reason_and_write_nothing(api, room):
    auditor = logged_in(api, room.auditor, "en")
    head = api.head_seq()
    other_unit = post(
        auditor, "/audit", {"unit_code": "220102", "locations": "L220200-M", "mode": "full"}, "/audit"
    )
    assert other_unit.status_code in (404, 409) and 'role="alert"' in other_unit.text
    assert 'value="L220200-M"' in other_unit.text or "L220200-M</textarea>" in other_unit.text
    audit_id = open_by_form(auditor, room)
    other = logged_in(api, room.second)
    not_opener = post(other, f"/audit/{audit_id}/submit", {}, f"/audit/{audit_id}")
    assert not_opener.status_code == 409 and room.auditor in not_opener.text  # who carries it on
    post(auditor, f"/audit/{audit_id}/submit", {}, f"/audit/{audit_id}")
    late = read(auditor, audit_id, room.seals[0][0])
    assert late.status_code == 409 and "read-refused" in late.text and "<html" not in late.text
    early = post(auditor, f"/audit/{audit_id}/submit", {}, f"/audit/{audit_id}")
    assert early.status_code == 409 and 'role="alert"' in early.text
    assert api.head_seq() == head
    assert logged_in(api, "ng-custodian").post("/audit", data={"csrf": "x"}).status_code == 403


@pytest.mark.parametrize("path", ["/audit", "/audit/{id}/reads", "/audit/{id}/submit", "/audit/{id}/close"])
def test_an_audit_form_without_its_csrf_token_is_refused(api, room, path):
    auditor = logged_in(api, room.auditor)
    audit_id = open_by_form(auditor, room)
    head = api.head_seq()
    data = {
        "unit_code": "220102",
        "locations": room.code,
        "mode": "full",
        "code": room.seals[0][0],
        "csrf": "forged",
    }
    answer = auditor.post(path.format(id=audit_id), data=data)
    assert answer.status_code == 403 and 'role="alert"' in answer.text
    assert api.head_seq() == head
    shown = api.client.get(f"/api/v1/audits/{audit_id}", headers=api.login(room.auditor)).json()
    assert (shown["reads"], shown["reading"]) == (0, True)


def test_a_resolution_without_its_csrf_token_is_refused(api, room):
    _audit_id, found = closed_with_discrepancies(api, room)
    custodian = logged_in(api, "ng-custodian")
    head = api.head_seq()
    answer = custodian.post(
        f"/discrepancy/{found[0]['id']}/resolve",
        data={
            "resolution": "found_elsewhere",
            "reason": "x",
            "confirmer": room.second,
            "confirmer_password": PASSWORD,
            "csrf": "forged",
        },
    )
    assert answer.status_code == 403 and api.head_seq() == head


def test_out_of_scope_answers_exactly_like_missing(api, room):
    audit_id, found = closed_with_discrepancies(api, room)
    jl_auditor = api.add_user(unique("jl-aud-"), "220200", Department.INSPECTION, Role.AUDITOR)
    outsider = logged_in(api, jl_auditor)
    for hidden_path, missing_path in (
        (f"/audit/{audit_id}", "/audit/999999"),
        (f"/audit/{audit_id}/counts", "/audit/999999/counts"),
        (f"/discrepancy/{found[0]['id']}", "/discrepancy/999999"),
    ):
        hidden, missing = outsider.get(hidden_path), outsider.get(missing_path)
        assert hidden.status_code == missing.status_code == 404, hidden_path
        assert re.sub(r"\d+", "N", hidden.text) == re.sub(r"\d+", "N", missing.text)
    clerk = logged_in(api, "jl-clerk")
    head = api.head_seq()
    refused = post(
        clerk,
        f"/discrepancy/{found[0]['id']}/resolve",
        {
            "resolution": "found_elsewhere",
            "reason": "x",
            "confirmer": room.second,
            "confirmer_password": PASSWORD,
        },
        "/audit",
    )
    assert refused.status_code == 403 and api.head_seq() == head  # a clerk owns no discrepancy here


def test_the_desk_reads_in_english_too(api, room):
    auditor = logged_in(api, room.auditor, "en")
    audit_id = open_by_form(auditor, room)
    shown = auditor.get(f"/audit/{audit_id}")
    assert '<html lang="en">' in shown.text and "Live counts" in shown.text and "Missing" in shown.text
    chinese = logged_in(api, room.auditor).get(f"/audit/{audit_id}")
    assert "Live counts" not in chinese.text and "实时计数" in chinese.text
