"""The handover and sealing desk over plain HTTP, on SQLite and PostgreSQL: a clerk offers a case's items
by form; the named custodian accepts or refuses it at the same desk with their own password typed into
the form (never a second session); the custodian adds locations and seals accepted items before a
witness who confirms with their password. Each act is seen through the API; a refusal shows the core's
reason (each refused item named) and writes nothing; a form without its CSRF token is refused; out of
scope answers exactly like missing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from api_harness import PASSWORD, START, Harness, unique
from fastapi.testclient import TestClient
from page_harness import csrf_of, logged_in

from custody.intake import FirearmIntake
from custody.model import Department, Role


@pytest.fixture
def api(module_api: Harness) -> Iterator[Harness]:
    module_api.clock.set(START)
    yield module_api
    module_api.clock.set(START)


def post(client: TestClient, path: str, data: dict[str, Any], page: str = "/store") -> Any:
    """A form of the desk, sent with the session's CSRF token (read from ``page``)."""
    return client.post(path, data={**data, "csrf": csrf_of(client.get(page).text)})


def closed_case(api: Harness, items: int = 2, case_open: bool = False) -> tuple[str, list[str]]:
    """A case of Nanguan with ``items`` firearms, closed (unless ``case_open``)."""
    clerk = api.custody.users.actor("ng-clerk")
    case_no = unique("长南公刑字〔2026〕W") + "号"
    api.custody.cases.open(clerk, case_no, "非法持有枪支案")
    numbers = [
        api.custody.items.register_firearm(
            clerk, case_no, FirearmIntake("手枪", "54式", unique("S"), "7.62mm", True)
        ).evidence_no
        for _ in range(items)
    ]
    if not case_open:
        api.custody.cases.close(clerk, case_no)
    return case_no, numbers


def offered(api: Harness, items: int = 2) -> tuple[int, list[str]]:
    case_no, numbers = closed_case(api, items)
    made = api.custody.handovers.offer(api.custody.users.actor("ng-clerk"), case_no, "ng-custodian", numbers)
    return made.id, numbers


def accepted(api: Harness, items: int = 2) -> list[str]:
    handover_id, numbers = offered(api, items)
    api.custody.handovers.accept(api.custody.users.actor("ng-custodian"), handover_id)
    return numbers


def handover(api: Harness, handover_id: int) -> dict[str, Any]:
    answer = api.client.get(f"/api/v1/handovers/{handover_id}", headers=api.login("ng-clerk"))
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def place(api: Harness, code: str, name: str) -> None:
    custodian = api.custody.users.actor("ng-custodian")
    if code not in {loc.code for loc in api.custody.locations.list(custodian, "220102")}:
        api.custody.locations.add(custodian, code, name)


def witness(api: Harness) -> str:
    """Someone of the county who never took part in any item's custody."""
    return api.add_user(unique("ng-witness-"), "220102", Department.POLICE_STATION, Role.INVESTIGATOR)


# ------------------------------------------------------------------------------------------ the desk


def test_the_desk_shows_each_user_the_forms_their_roles_may_send(api):
    handover_id, _numbers = offered(api)
    clerk = logged_in(api, "ng-clerk").get("/store")
    assert clerk.status_code == 200, clerk.text
    assert 'action="/store/offer"' in clerk.text and "移交与封存" in clerk.text
    assert 'for="case_no"' in clerk.text and 'for="evidence_nos"' in clerk.text
    assert f'href="/handover/{handover_id}"' in clerk.text
    custodian = logged_in(api, "ng-custodian").get("/store")
    assert custodian.status_code == 200
    assert 'action="/store/offer"' not in custodian.text and 'href="/store/seal"' in custodian.text
    assert f'href="/handover/{handover_id}"' in custodian.text  # waiting for them
    assert logged_in(api, "ng-auditor").get("/store").status_code == 403
    assert 'href="/store"' in logged_in(api, "ng-clerk").get("/").text  # the menu offers the desk
    assert 'href="/store"' not in logged_in(api, "ng-auditor").get("/").text


def test_an_offer_is_made_by_form_and_accepted_at_the_counter_by_the_custodians_password(api):
    case_no, numbers = closed_case(api)
    clerk = logged_in(api, "ng-clerk")
    answer = post(
        clerk,
        "/store/offer",
        {"case_no": case_no, "receiver": "ng-custodian", "evidence_nos": "\n".join(numbers)},
    )
    assert answer.status_code == 303, answer.text
    handover_id = int(answer.headers["location"].rsplit("/", 1)[1])
    assert answer.headers["location"] == f"/handover/{handover_id}"
    seen = handover(api, handover_id)
    assert (seen["status"], seen["offered_by"], seen["custodian"]) == ("offered", "ng-clerk", "ng-custodian")
    assert sorted(seen["evidence_nos"]) == sorted(numbers)

    shown = clerk.get(f"/handover/{handover_id}")
    assert shown.status_code == 200
    assert all(n in shown.text for n in numbers)
    assert f'action="/handover/{handover_id}/accept"' in shown.text
    assert 'value="ng-custodian"' in shown.text and 'type="password"' in shown.text

    head = api.head_seq()
    wrong = post(
        clerk,
        f"/handover/{handover_id}/accept",
        {"receiver": "ng-custodian", "receiver_password": "not the password"},
        f"/handover/{handover_id}",
    )
    assert wrong.status_code == 422
    assert 'role="alert"' in wrong.text and 'id="receiver_password-refusal"' in wrong.text
    assert "接收人未确认" in wrong.text  # who was not confirmed, in words
    assert api.head_seq() == head and handover(api, handover_id)["status"] == "offered"

    done = post(
        clerk,
        f"/handover/{handover_id}/accept",
        {"receiver": "ng-custodian", "receiver_password": PASSWORD},
        f"/handover/{handover_id}",
    )
    assert done.status_code == 303, done.text
    assert handover(api, handover_id)["status"] == "accepted"
    assert api.head_seq() == head + len(numbers)
    item = api.client.get(f"/api/v1/items/{numbers[0]}", headers=api.login("ng-clerk")).json()
    last = item["history"][-1]
    assert (item["state"], last["event_type"], last["actor"]) == (
        "handed_over",
        "handover_accepted",
        "ng-custodian",
    )
    after = clerk.get(f"/handover/{handover_id}")
    assert f'action="/handover/{handover_id}/accept"' not in after.text
    slip = f"/reports/handover-slip?handover_id={handover_id}"
    assert f'href="{slip}"' in after.text
    assert clerk.get(slip).headers["content-type"] == "application/pdf"


def test_the_custodian_at_their_own_desk_refuses_with_a_reason(api):
    handover_id, _numbers = offered(api)
    custodian = logged_in(api, "ng-custodian")
    page = f"/handover/{handover_id}"
    head = api.head_seq()
    without_reason = post(
        custodian, f"{page}/refuse", {"receiver": "ng-custodian", "receiver_password": PASSWORD}, page
    )
    assert without_reason.status_code == 422 and 'id="reason-refusal"' in without_reason.text
    assert api.head_seq() == head
    refused = post(
        custodian,
        f"{page}/refuse",
        {"receiver": "ng-custodian", "receiver_password": PASSWORD, "reason": "清单与实物不符"},
        page,
    )
    assert refused.status_code == 303, refused.text
    seen = handover(api, handover_id)
    assert (seen["status"], seen["refusal_reason"]) == ("refused", "清单与实物不符")
    assert "清单与实物不符" in custodian.get(page).text


def test_only_the_named_custodian_decides_and_the_reason_is_shown(api):
    handover_id, _numbers = offered(api)
    page = f"/handover/{handover_id}"
    api.add_user(other := unique("ng-cust-"), "220102", Department.PUBLIC_ORDER, Role.CUSTODIAN)
    clerk = logged_in(api, "ng-clerk")
    head = api.head_seq()
    answer = post(clerk, f"{page}/accept", {"receiver": other, "receiver_password": PASSWORD}, page)
    assert answer.status_code == 409
    assert "只有" in answer.text or "ng-custodian" in answer.text  # the core's reason, in Chinese
    by_clerk = post(clerk, f"{page}/accept", {"receiver": "ng-clerk", "receiver_password": PASSWORD}, page)
    assert by_clerk.status_code in (403, 409) and 'role="alert"' in by_clerk.text
    assert api.head_seq() == head and handover(api, handover_id)["status"] == "offered"


def test_a_refused_offer_names_each_item_with_its_reason_and_writes_nothing(api):
    case_no, numbers = closed_case(api, case_open=True)
    clerk = logged_in(api, "ng-clerk", "en")
    head = api.head_seq()
    answer = post(
        clerk,
        "/store/offer",
        {"case_no": case_no, "receiver": "ng-custodian", "evidence_nos": " ".join(numbers)},
    )
    assert answer.status_code == 409, answer.text
    assert 'role="alert"' in answer.text and 'class="refused-items"' in answer.text
    for number in numbers:
        assert f'<span class="number">{number}</span>:' in answer.text
    assert f'value="{case_no}"' in answer.text  # the form keeps what was typed
    assert api.head_seq() == head
    empty = post(clerk, "/store/offer", {"case_no": case_no, "receiver": "ng-custodian", "evidence_nos": ""})
    assert empty.status_code == 422 and 'id="evidence_nos-refusal"' in empty.text
    assert api.head_seq() == head


# ---------------------------------------------------------------------------------- seals and places


def test_locations_are_added_by_form_and_refused_with_the_reason(api):
    custodian = logged_in(api, "ng-custodian")
    listed = custodian.get("/store/locations")
    assert listed.status_code == 200 and 'action="/store/locations"' in listed.text
    code = f"L220102-W{unique('')}"
    added = post(custodian, "/store/locations", {"location_code": code, "name": "五号库"}, "/store/locations")
    assert added.status_code == 303, added.text
    seen = api.client.get("/api/v1/locations?unit_code=220102", headers=api.login("ng-custodian")).json()
    assert code in {loc["code"] for loc in seen["locations"]}
    orphan = post(
        custodian, "/store/locations", {"location_code": f"{code}-X-1", "name": "无"}, "/store/locations"
    )
    assert orphan.status_code == 404 and 'role="alert"' in orphan.text
    malformed = post(custodian, "/store/locations", {"location_code": "A-1", "name": "x"}, "/store/locations")
    assert malformed.status_code == 422 and 'id="location_code-refusal"' in malformed.text
    clerk = logged_in(api, "ng-clerk").get("/store/locations")
    assert clerk.status_code == 200 and 'action="/store/locations"' not in clerk.text


def test_accepted_items_are_sealed_before_a_witness_confirming_with_their_password(api):
    place(api, "L220102-S", "封存库")
    numbers = accepted(api)
    who = witness(api)
    custodian = logged_in(api, "ng-custodian")
    form = custodian.get("/store/seal")
    assert form.status_code == 200
    assert all(f'value="{n}"' in form.text for n in numbers) and 'value="L220102-S"' in form.text
    body = {"location_code": "L220102-S", "evidence_no": numbers}
    head = api.head_seq()
    no_witness = post(custodian, "/store/seal", body, "/store/seal")
    assert no_witness.status_code == 422 and 'id="witness-refusal"' in no_witness.text
    wrong = post(
        custodian, "/store/seal", {**body, "witness": who, "witness_password": "nope"}, "/store/seal"
    )
    assert wrong.status_code == 422 and 'id="witness_password-refusal"' in wrong.text
    assert f'value="{who}"' in wrong.text and "见证人未确认" in wrong.text
    oneself = {**body, "witness": "ng-custodian", "witness_password": PASSWORD}
    assert post(custodian, "/store/seal", oneself, "/store/seal").status_code == 422  # not their own witness
    assert api.head_seq() == head
    made = post(
        custodian, "/store/seal", {**body, "witness": who, "witness_password": PASSWORD}, "/store/seal"
    )
    assert made.status_code == 303, made.text
    seal_no = made.headers["location"].rsplit("/", 1)[1]
    assert made.headers["location"] == f"/store/sealed/{seal_no}"
    result = custodian.get(made.headers["location"])
    assert result.status_code == 200 and seal_no in result.text and f'href="/seal/{seal_no}"' in result.text
    seal = api.client.get(f"/api/v1/seals/{seal_no}", headers=api.login("ng-custodian")).json()
    assert (seal["witness"], seal["custodian"], seal["location_code"]) == (who, "ng-custodian", "L220102-S")
    assert sorted(i["evidence_no"] for i in seal["items"]) == sorted(numbers)
    assert api.head_seq() == head + len(numbers)


def test_a_seal_of_items_not_held_names_each_and_writes_nothing(api):
    place(api, "L220102-S", "封存库")
    _handover_id, numbers = offered(api)  # offered, not accepted
    custodian = logged_in(api, "ng-custodian")
    head = api.head_seq()
    answer = post(
        custodian,
        "/store/seal",
        {
            "location_code": "L220102-S",
            "evidence_nos": "\n".join(numbers),
            "witness": witness(api),
            "witness_password": PASSWORD,
        },
        "/store/seal",
    )
    assert answer.status_code == 409, answer.text
    assert all(f'<span class="number">{n}</span>:' in answer.text for n in numbers)
    assert api.head_seq() == head


# ------------------------------------------------------------------------------------- the guards


@pytest.mark.parametrize(
    ("path", "who"),
    [
        ("/store/offer", "ng-clerk"),
        ("/handover/{id}/accept", "ng-clerk"),
        ("/handover/{id}/refuse", "ng-custodian"),
        ("/store/seal", "ng-custodian"),
        ("/store/locations", "ng-custodian"),
    ],
)
def test_a_form_without_its_csrf_token_is_refused_and_writes_nothing(api, path, who):
    handover_id, numbers = offered(api)
    client = logged_in(api, who)
    head = api.head_seq()
    data = {
        "case_no": "x",
        "receiver": "ng-custodian",
        "receiver_password": PASSWORD,
        "reason": "不符",
        "evidence_nos": numbers[0],
        "location_code": f"L220102-C{unique('')}",
        "name": "库",
        "csrf": "forged",
    }
    answer = client.post(path.format(id=handover_id), data=data)
    assert answer.status_code == 403 and 'role="alert"' in answer.text
    assert api.head_seq() == head and handover(api, handover_id)["status"] == "offered"


def test_out_of_scope_answers_exactly_like_missing(api):
    handover_id, _numbers = offered(api)
    other = logged_in(api, "kc-clerk")
    hidden, missing = other.get(f"/handover/{handover_id}"), other.get("/handover/999999")
    assert hidden.status_code == missing.status_code == 404
    assert re.sub(r"\d+", "N", hidden.text) == re.sub(r"\d+", "N", missing.text)
    head = api.head_seq()
    csrf = csrf_of(other.get("/store").text)
    refused = other.post(
        f"/handover/{handover_id}/accept",
        data={"csrf": csrf, "receiver": "ng-custodian", "receiver_password": PASSWORD},
    )
    assert refused.status_code == 404 and api.head_seq() == head
    assert handover(api, handover_id)["status"] == "offered"


def test_the_desk_reads_in_english_too(api):
    handover_id, _numbers = offered(api)
    english = logged_in(api, "ng-clerk", "en")
    desk = english.get("/store")
    assert '<html lang="en">' in desk.text and "Offer a case&#39;s items to the custodian" in desk.text
    shown = english.get(f"/handover/{handover_id}")
    assert "Offered, waiting for the custodian" in shown.text
    chinese = logged_in(api, "ng-clerk").get(f"/handover/{handover_id}")
    assert "Offered, waiting" not in chinese.text and "state." not in chinese.text
