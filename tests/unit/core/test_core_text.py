"""The one text policy (custody.text): what a stored string may hold, how it is normalised, how long."""

from __future__ import annotations

import sys
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custody import text
from custody.errors import InvalidInput
from custody.intake import FirearmIntake

HIDING = [
    "\x00",
    "\x1b",
    "\x7f",
    "\x85",  # C1 next line
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
    "\u200b",  # zero-width space
    "\u200d",  # zero-width joiner
    "\u2028",
    "\u2029",
    "\ufeff",
    "\U000e0041",  # tag latin capital A (invisible)
    "\ud800",  # a lone surrogate (JSON "\\ud800")
]


def test_every_control_format_and_separator_character_is_refused():
    refused = {"Cc", "Cf", "Cs", "Zl", "Zp"}
    missed = [
        hex(c)
        for c in range(sys.maxunicode + 1)
        if unicodedata.category(chr(c)) in refused and text.shown(chr(c), 1) != "\ufffd"
    ]
    assert missed == []


@pytest.mark.parametrize("hidden", HIDING, ids=lambda c: f"U+{ord(c):04X}")
def test_a_hiding_character_is_refused_naming_the_field(hidden):
    with pytest.raises(InvalidInput) as refused:
        text.clean(f"abc{hidden}gpj.exe", "serial_number")
    assert refused.value.field == "serial_number"
    assert f"U+{ord(hidden):04X}" in str(refused.value)


def test_line_feeds_and_tabs_are_kept_in_multi_line_fields_only():
    assert text.clean("第一行\r\n\t第二行", "description") == "第一行\n\t第二行"
    with pytest.raises(InvalidInput):
        text.clean("a\nb", "serial_number")
    with pytest.raises(InvalidInput):
        text.clean("a\rb", "description")  # a lone CR rewrites the line on a terminal


def test_text_is_stored_in_nfc_and_trimmed():
    decomposed = "Cafe\u0301"
    assert text.clean(f" \u3000{decomposed}  ", "make_model") == "Caf\u00e9"


def test_blank_is_refused_where_required_and_absent_elsewhere():
    with pytest.raises(InvalidInput, match="required"):
        text.clean("   ", "serial_number", required=True)
    assert text.clean("   ", "source_notes") is None


def test_limits_count_characters_after_normalisation():
    assert text.clean("枪" * text.NAME_LENGTH, "serial_number") == "枪" * text.NAME_LENGTH
    with pytest.raises(InvalidInput, match="longer than 200"):
        text.clean("1" * 2000, "serial_number")
    with pytest.raises(InvalidInput, match="longer than 64"):
        text.clean("x" * 65, "username")


def test_the_access_log_form_shows_refused_characters_as_replacement_characters():
    assert text.shown("/api/v1/items/\x1b[2J\u202e", 100) == "/api/v1/items/\ufffd[2J\ufffd"
    assert text.shown("abcdef", 3) == "abc"


def test_intake_uses_the_policy():
    intake = FirearmIntake("手枪", "54式", "5401\u202e123", "7.62mm", True)
    with pytest.raises(InvalidInput) as refused:
        intake.columns()
    assert refused.value.field == "serial_number"


@given(st.text(max_size=50))
def test_what_the_policy_stores_it_stores_unchanged_when_given_again(value):
    try:
        stored = text.clean(value, "description")
    except InvalidInput:
        return
    assert stored is None or text.clean(stored, "description") == stored
