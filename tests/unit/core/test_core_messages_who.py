"""The refusals of who acts carry message keys and typed parameters, with the English text they always had."""

from __future__ import annotations

import pytest

from custody.actors import Actor, require_province, require_role
from custody.errors import (
    MESSAGES,
    InvalidEvidenceNumber,
    LoginFailed,
    LoginThrottled,
    Message,
    NotPermitted,
    SecondPersonNotConfirmed,
    UsernameUnavailable,
)
from custody.model import Department, Role


def test_a_failed_login_names_no_account_in_its_parameters() -> None:
    refused = LoginFailed(7, "220102")
    assert (refused.key, refused.params) == ("auth.login_failed", {})
    assert str(refused) == "wrong username or password, or the account is locked or inactive"
    assert (refused.user_id, refused.unit_code) == (7, "220102")  # for the access log only


def test_a_throttled_login_carries_the_seconds_to_wait() -> None:
    refused = LoginThrottled(42)
    assert (refused.key, refused.params, refused.retry_after_s) == (
        "auth.login_throttled",
        {"retry_after_s": 42},
        42,
    )
    assert str(refused) == "too many failed logins from this address: try again in 42 s"


def test_an_unconfirmed_second_person_carries_the_part_and_blames_its_password_field() -> None:
    refused = SecondPersonNotConfirmed("witness")
    assert (refused.key, refused.params, refused.field) == (
        "auth.second_person_not_confirmed",
        {"part": "witness"},
        "witness_password",
    )
    assert str(refused) == (
        "the witness was not confirmed: wrong username or password, or the account is locked or inactive"
    )


def test_an_unavailable_username_carries_the_name_and_keeps_its_access_log_note() -> None:
    refused = UsernameUnavailable("ng-clerk")
    assert (refused.key, refused.params) == ("user.username_unavailable", {"username": "ng-clerk"})
    assert str(refused) == "username ng-clerk is not available"
    assert refused.audit_note() == "username-unavailable: ng-clerk"


def test_an_invalid_evidence_number_takes_a_message_and_its_parameters() -> None:
    shape = Message("test.evidence_shape", "year must have 4 digits, got {year}")
    refused = InvalidEvidenceNumber(shape, year=26)
    assert (refused.key, refused.params, refused.field, str(refused)) == (
        "test.evidence_shape",
        {"year": 26},
        "evidence_no",
        "year must have 4 digits, got 26",
    )
    assert InvalidEvidenceNumber("an evidence number is text").field == "evidence_no"


CLERK = Actor(1, "ng-clerk", "南关物证管理员", "220102", Department.EVIDENCE_ROOM, frozenset({Role.CLERK}))


def test_a_role_refusal_carries_who_what_and_the_roles_that_may() -> None:
    with pytest.raises(NotPermitted) as refused:
        require_role(CLERK, {Role.ADMIN, Role.AUDITOR}, "add users")
    assert (refused.value.key, refused.value.params) == (
        "role.needed",
        {"username": "ng-clerk", "act": "add users", "roles": "admin, auditor"},
    )
    assert str(refused.value) == "ng-clerk may not add users: needs role admin, auditor"


def test_a_province_refusal_carries_who_and_what() -> None:
    with pytest.raises(NotPermitted) as refused:
        require_province(CLERK, {Role.CLERK}, "import units")
    assert (refused.value.key, refused.value.params) == (
        "role.province_only",
        {"username": "ng-clerk", "act": "import units"},
    )
    assert str(refused.value) == "ng-clerk may not import units: it concerns every unit (province only)"


@pytest.mark.parametrize("module", ["passwords", "sessions", "users", "stations", "station_keys", "records"])
def test_the_messages_of_who_acts_are_registered_under_lower_case_dotted_keys(module: str) -> None:
    declared = vars(__import__(f"custody.{module}", fromlist=["_"]))
    messages = [value for value in declared.values() if isinstance(value, Message)]
    assert messages, module
    for message in messages:
        assert MESSAGES[message.key] is message
        area, _, what = message.key.partition(".")
        assert area and what and message.key == message.key.lower() and " " not in message.key
