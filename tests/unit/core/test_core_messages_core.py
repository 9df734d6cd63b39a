"""Refusals of the core carry message keys and typed parameters, with the English text they always had."""

from __future__ import annotations

import pytest

from custody import text
from custody.errors import InvalidEvidenceNumber, InvalidInput, TextRefused
from custody.numbers import EvidenceNumber, ItemKind


def test_the_text_policy_refuses_by_kind_with_the_field_as_a_parameter() -> None:
    with pytest.raises(InvalidInput) as long:
        text.clean("x" * 300, "case_no")
    limit = text.field("case_no").max_length
    assert (long.value.key, long.value.params, long.value.field) == (
        "text.too_long",
        {"name": "case_no", "max_length": limit},
        "case_no",
    )
    assert str(long.value) == f"case_no is longer than {limit} characters"

    with pytest.raises(InvalidInput) as hidden:
        text.clean("ab\u200bc", "title")
    assert (hidden.value.key, hidden.value.params) == (
        "text.invisible_character",
        {"name": "title", "codepoint": 0x200B},
    )
    assert str(hidden.value) == "title contains a control, format or invisible character (U+200B)"

    with pytest.raises(InvalidInput) as blank:
        text.clean("   ", "reason", required=True)
    assert (blank.value.key, str(blank.value)) == ("text.blank", "reason is required (blank)")


def test_a_refused_text_names_no_field_until_one_is_given() -> None:
    with pytest.raises(TextRefused) as refused:
        text.normalised("   ", text.field("reason"), required=True)
    assert str(refused.value) == "is required (blank)"
    named = refused.value.of_field("reason")
    assert (named.key, named.params, named.field, str(named)) == (
        "text.blank",
        {"name": "reason"},
        "reason",
        "reason is required (blank)",
    )


def test_an_evidence_number_refusal_carries_what_was_read() -> None:
    number = str(EvidenceNumber(ItemKind.FIREARM, "220102", 2026, 12))
    mistyped = number[:-1] + ("0" if number[-1] != "0" else "1")
    with pytest.raises(InvalidEvidenceNumber) as refused:
        EvidenceNumber.parse(mistyped)
    assert (refused.value.key, refused.value.params, refused.value.field) == (
        "evidence_no.check_digits",
        {"evidence_no": mistyped},
        "evidence_no",
    )
    assert str(refused.value) == f"{mistyped!r}: check digits do not match (mistyped or misread)"
