"""The one text policy (custody.text): what a stored string may hold, how it is normalised, how long."""

from __future__ import annotations

import contextlib
import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custody import text
from custody.errors import InvalidInput, TextRefused
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


# Characters each step of the policy treats apart: refused ones (a lone surrogate included), kept
# controls of multi-line fields, CR LF, spaces it trims (ideographic space included), combining marks
# and compatibility ideographs that NFC rewrites, ASCII and CJK.
_AWKWARD = "\x00\t\n\r\x7f\x85\xa0\xad\u0301\u0890\u200b\u2028\u202e\u3000\ufeff\uf900\ud800\U000e0041"
_TRICKY_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(_AWKWARD),
        st.sampled_from(" aZ09-._/·"),
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
        st.characters(),
    ),
    max_size=24,
)
# printable, some of it rewritten by NFC: combining marks, a compatibility ideograph, the Ångström sign
_PRINTABLE_TEXT = st.text(
    alphabet=st.sampled_from(" aZ09-._/·五四式手枪Å\u0301\u0308\uf900\u212b"), max_size=24
)
_SHORT = text.TextField("short", 3)
_POLICIES = st.sampled_from([*text.FIELDS.values(), text.DEFAULT, _SHORT, text.TextField("short", 3, True)])


def _outcome(normalise, value, policy, required):  # type: ignore[no-untyped-def]
    try:
        return ("stored", normalise(value, policy, required=required))
    except TextRefused as refused:
        return ("refused", refused.message.key, refused.params)


_VALUES = _TRICKY_TEXT | _PRINTABLE_TEXT
_PADDED = st.tuples(_VALUES, st.integers(0, 40)).map(lambda t: " " * t[1] + t[0] + " " * t[1])


@settings(max_examples=500)
@given(_VALUES | _PADDED | st.text(max_size=12).map(lambda v: v * 2), _POLICIES, st.booleans())
def test_the_short_way_for_printable_values_answers_as_the_full_policy(value, policy, required):
    assert _outcome(text.normalised, value, policy, required) == _outcome(
        text.normalised_in_full, value, policy, required
    )


def test_plain_ascii_and_cjk_take_the_short_way_and_the_others_the_full_policy(monkeypatch):
    calls: list[str] = []
    full = text.normalised_in_full
    monkeypatch.setattr(text, "normalised_in_full", lambda v, p, **kw: calls.append(v) or full(v, p, **kw))
    assert text.clean(" 7.62mm ", "calibre") == "7.62mm"
    assert text.clean("五四式手枪", "firearm_type") == "五四式手枪"
    assert calls == []
    assert text.clean("\uf900", "calibre") == "\u8c48"  # a compatibility ideograph: NFC rewrites it
    assert calls == []
    assert text.clean("", "calibre") is None  # empty and not required: absent, without the policy
    assert calls == []
    for taken_in_full in ("a\u200bb", "a\r\nb", "\u3000x", "  ", "x" * 201):
        with contextlib.suppress(InvalidInput):
            text.clean(taken_in_full, "calibre")
    assert calls == ["a\u200bb", "a\r\nb", "\u3000x", "  ", "x" * 201]
