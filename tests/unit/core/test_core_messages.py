"""Refusals carry a stable message key and typed parameters beside their English text."""

from __future__ import annotations

import pytest

from custody.errors import MESSAGES, CustodyError, InvalidInput, Message, UnknownItem

_SHOWN = Message("test.shown", "unknown item {evidence_no} of unit {unit_code}")


def test_a_refusal_made_from_a_message_carries_its_key_parameters_and_text() -> None:
    refused = UnknownItem(_SHOWN, evidence_no="F220100202600012787", unit_code="220100")
    assert refused.key == "test.shown"
    assert refused.params == {"evidence_no": "F220100202600012787", "unit_code": "220100"}
    assert str(refused) == "unknown item F220100202600012787 of unit 220100"
    assert MESSAGES["test.shown"] is _SHOWN
    assert _SHOWN.params == {"evidence_no", "unit_code"}


def test_a_refusal_missing_a_parameter_its_text_names_is_an_error() -> None:
    with pytest.raises(TypeError, match="unit_code"):
        UnknownItem(_SHOWN, evidence_no="F220100202600012787")


def test_a_key_declared_twice_with_another_text_is_refused() -> None:
    with pytest.raises(ValueError, match="declared twice"):
        Message("test.shown", "another text")


def test_invalid_input_keeps_its_field_beside_the_parameters() -> None:
    refused = InvalidInput(Message("test.field", "{name} is required"), field="roles", name="roles")
    assert (refused.field, refused.key, refused.params, str(refused)) == (
        "roles",
        "test.field",
        {"name": "roles"},
        "roles is required",
    )


def test_plain_text_refusals_are_keyed_by_their_code() -> None:
    refused = UnknownItem("unknown item X")
    assert (refused.key, refused.params, str(refused)) == ("unknown-item", {}, "unknown item X")
    assert CustodyError("no").key == "custody-error"
