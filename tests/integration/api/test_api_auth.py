"""Logins, sessions, lockout, throttling and station keys over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from api_harness import PASSWORD, Harness, bearer, problem, station_headers
from sqlalchemy import select

from custody.credentials import digest
from custody.db.tables import SessionRow

ME = "/api/v1/auth/me"
LOGIN = "/api/v1/auth/login"


def login_answer(api: Harness, username: str, password: str) -> object:
    return api.client.post(LOGIN, json={"username": username, "password": password})


def test_login_returns_a_token_that_opens_the_api_and_is_not_cached(api):
    answer = api.client.post(LOGIN, json={"username": "ng-clerk", "password": PASSWORD})
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert body["token"].startswith("cst_") and body["token_type"] == "bearer"
    assert body["user"]["username"] == "ng-clerk" and body["user"]["roles"] == ["clerk"]
    assert body["expires_at"] == "2026-03-02T09:30:00Z"  # 8 hours after the test clock's 01:30 UTC
    me = api.client.get(ME, headers=bearer(body["token"])).json()
    assert (me["kind"], me["name"], me["unit_code"]) == ("user", "ng-clerk", "220102")


def test_the_token_is_stored_only_as_its_sha256(api):
    token = api.token("ng-clerk")
    with api.custody.engine.connect() as conn:
        stored = conn.execute(select(SessionRow.__table__.c.token_sha256)).scalars().all()
    assert stored == [digest(token)] and token not in stored


def test_a_failed_login_says_the_same_for_an_unknown_user_and_a_wrong_password(api):
    unknown = problem(login_answer(api, "nobody", PASSWORD), 401, "login-failed")
    wrong = problem(login_answer(api, "ng-clerk", "not the password"), 401, "login-failed")
    assert unknown == wrong
    assert login_answer(api, "ng-clerk", PASSWORD).status_code == 200


def test_requests_without_credentials_or_with_a_forged_token_are_refused(api):
    no_credentials = problem(api.client.get(ME), 401, "unauthenticated")
    assert no_credentials["instance"] == ME
    forged = api.client.get(ME, headers=bearer("cst_" + "A" * 43))
    problem(forged, 401, "unauthenticated")
    assert forged.headers["www-authenticate"].startswith("Bearer")
    problem(api.client.get(ME, headers={"Authorization": "Basic bmctY2xlcms6eA=="}), 401, "unauthenticated")


def test_a_session_expires_after_eight_hours(api):
    headers = api.login("ng-clerk")
    api.clock.advance(8 * 3600 - 1)
    assert api.client.get(ME, headers=headers).status_code == 200
    api.clock.advance(1)
    problem(api.client.get(ME, headers=headers), 401, "unauthenticated")


def test_logout_ends_the_session_at_once_and_only_that_session(api):
    first, second = api.login("ng-clerk"), api.login("ng-clerk")
    assert api.client.post("/api/v1/auth/logout", headers=first).status_code == 204
    problem(api.client.get(ME, headers=first), 401, "unauthenticated")
    assert api.client.get(ME, headers=second).status_code == 200


def test_an_administrator_revokes_every_session_of_a_user(api):
    sessions = [api.login("ng-clerk") for _ in range(3)]
    answer = api.client.delete("/api/v1/users/ng-clerk/sessions", headers=api.login("admin"))
    assert answer.json() == {"revoked": 3}
    for headers in sessions:
        problem(api.client.get(ME, headers=headers), 401, "unauthenticated")
    assert login_answer(api, "ng-clerk", PASSWORD).status_code == 200  # the account itself still works


def test_a_deactivated_user_is_signed_out_and_cannot_log_in_until_activated(api):
    admin, clerk = api.login("admin"), api.login("ng-clerk")
    answer = api.client.post("/api/v1/users/ng-clerk/deactivate", headers=admin)
    assert answer.status_code == 200 and answer.json()["active"] is False
    problem(api.client.get(ME, headers=clerk), 401, "unauthenticated")
    problem(login_answer(api, "ng-clerk", PASSWORD), 401, "login-failed")
    api.client.post("/api/v1/users/ng-clerk/activate", headers=admin)
    assert login_answer(api, "ng-clerk", PASSWORD).status_code == 200


def test_an_administrator_cannot_deactivate_their_own_account(api):
    admin = api.login("admin")
    problem(api.client.post("/api/v1/users/admin/deactivate", headers=admin), 409, "transition-refused")
    assert api.client.get(ME, headers=admin).status_code == 200


def test_five_failed_logins_lock_the_account_for_fifteen_minutes(api):
    for _ in range(2):
        problem(login_answer(api, "ng-clerk", "wrong password!"), 401, "login-failed")
    assert login_answer(api, "ng-clerk", PASSWORD).status_code == 200  # success resets the count
    for _ in range(5):
        login_answer(api, "ng-clerk", "wrong password!")
    locked = problem(login_answer(api, "ng-clerk", PASSWORD), 401, "login-failed")
    assert locked == problem(login_answer(api, "nobody", PASSWORD), 401, "login-failed")
    admin = api.login("admin")
    assert api.client.get("/api/v1/users/ng-clerk", headers=admin).json()["locked_until"] is not None
    api.clock.advance(15 * 60)
    assert login_answer(api, "ng-clerk", PASSWORD).status_code == 200


def test_an_administrator_lifts_a_lockout_early(api):
    for _ in range(5):
        login_answer(api, "ng-clerk", "wrong password!")
    problem(login_answer(api, "ng-clerk", PASSWORD), 401, "login-failed")
    unlocked = api.client.post("/api/v1/users/ng-clerk/unlock", headers=api.login("admin"))
    assert unlocked.json()["locked_until"] is None
    assert login_answer(api, "ng-clerk", PASSWORD).status_code == 200


def test_failed_logins_from_one_address_are_throttled_before_any_password_check(api):
    for attempt in range(10):
        problem(login_answer(api, f"guess{attempt}", "password guess"), 401, "login-failed")
    throttled = api.client.post(LOGIN, json={"username": "ng-clerk", "password": PASSWORD})
    problem(throttled, 429, "too-many-attempts")
    assert int(throttled.headers["retry-after"]) == 300
    api.clock.advance(300)
    assert login_answer(api, "ng-clerk", PASSWORD).status_code == 200


def test_changing_ones_password_needs_the_current_one_and_ends_the_other_sessions(api):
    here, elsewhere = api.login("ng-clerk"), api.login("ng-clerk")
    wrong = api.client.put(
        "/api/v1/auth/password",
        headers=here,
        json={"current_password": "not it at all", "new_password": "a brand new password"},
    )
    assert problem(wrong, 422, "invalid-input")["field"] == "current_password"
    changed = api.client.put(
        "/api/v1/auth/password",
        headers=here,
        json={"current_password": PASSWORD, "new_password": "a brand new password"},
    )
    assert changed.status_code == 204
    assert api.client.get(ME, headers=here).status_code == 200
    problem(api.client.get(ME, headers=elsewhere), 401, "unauthenticated")
    problem(login_answer(api, "ng-clerk", PASSWORD), 401, "login-failed")
    assert login_answer(api, "ng-clerk", "a brand new password").status_code == 200


def test_a_new_password_must_be_long_enough_and_not_the_username(api):
    here = api.login("ng-clerk")
    for new in ("short", "ng-clerk  "):
        answer = api.client.put(
            "/api/v1/auth/password", headers=here, json={"current_password": PASSWORD, "new_password": new}
        )
        assert problem(answer, 422, "invalid-input")["field"] == "new_password"
    assert login_answer(api, "ng-clerk", PASSWORD).status_code == 200


def test_an_administrator_resets_a_password_which_ends_the_users_sessions(api):
    clerk = api.login("ng-clerk")
    answer = api.client.put(
        "/api/v1/users/ng-clerk/password",
        headers=api.login("admin"),
        json={"password": "issued by the admin"},
    )
    assert answer.status_code == 204
    problem(api.client.get(ME, headers=clerk), 401, "unauthenticated")
    assert login_answer(api, "ng-clerk", "issued by the admin").status_code == 200


def test_a_station_reads_with_its_units_scope_and_names_its_device(api):
    key = api.station("ng-desk-1", "220102", "scanner-1", "reader-1")
    me = api.client.get(ME, headers=station_headers(key, "reader-1")).json()
    assert me == {
        "kind": "station",
        "name": "ng-desk-1",
        "full_name": "ng-desk-1",
        "unit_code": "220102",
        "department": "evidence_room",
        "roles": [],
        "devices": ["scanner-1", "reader-1"],
        "device": "reader-1",
        "session_expires_at": None,
    }
    assert api.client.get("/api/v1/items", headers=station_headers(key, None)).status_code == 200


def test_a_station_naming_a_device_not_its_own_is_refused(api):
    key = api.station("ng-desk-1", "220102", "scanner-1")
    problem(api.client.get(ME, headers=station_headers(key, "scanner-9")), 403, "device-not-bound")


def test_a_station_key_is_refused_on_endpoints_that_change_things(api):
    key = api.station("ng-desk-1", "220102")
    answer = api.client.post("/api/v1/cases", headers=station_headers(key), json={"case_no": "X-1"})
    problem(answer, 403, "not-permitted")
    problem(api.client.get("/api/v1/ledger/head", headers=station_headers(key)), 403, "not-permitted")


def test_a_revoked_station_key_stops_working_at_once(api):
    key = api.station("ng-desk-1", "220102")
    assert api.client.get(ME, headers=station_headers(key)).status_code == 200
    revoked = api.client.post("/api/v1/stations/ng-desk-1/revoke", headers=api.login("admin"))
    assert revoked.json()["revoked_at"] is not None
    problem(api.client.get(ME, headers=station_headers(key)), 401, "unauthenticated")


def test_sending_a_session_token_and_a_station_key_together_is_refused(api):
    key = api.station("ng-desk-1", "220102")
    headers = {**api.login("ng-clerk"), **station_headers(key)}
    problem(api.client.get(ME, headers=headers), 401, "unauthenticated")
