"""Seal numbers, location codes and the rule that tells them from evidence numbers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custody.codes import LocationCode, SealNumber, classify
from custody.errors import InvalidLocationCode, InvalidSealNumber
from custody.model import LocationLevel
from custody.numbers import EvidenceNumber, ItemKind


def test_a_seal_number_carries_unit_year_sequence_and_mod97_check_digits():
    number = SealNumber.make("220102", 2026, 1)
    text = str(number)
    assert text.startswith("S2201022026000001") and len(text) == 19
    assert SealNumber.parse(f"  {text.lower()} ") == number
    body = text[:-2]
    assert int(str(int("S", 36)) + body[1:] + text[-2:]) % 97 == 1


@given(st.integers(1, 999_999), st.integers(0, 18), st.sampled_from("0123456789"))
def test_every_single_substitution_of_a_seal_number_is_caught(sequence, position, digit):
    text = str(SealNumber.make("220102", 2026, sequence))
    changed = text[: position + 1] + digit + text[position + 2 :]
    if changed != text:
        with pytest.raises(InvalidSealNumber):
            SealNumber.parse(changed)


def test_seal_number_refusals_say_what_is_wrong():
    with pytest.raises(InvalidSealNumber, match="check digits"):
        SealNumber.parse("S220102202600000100")
    with pytest.raises(InvalidSealNumber, match="not a seal number"):
        SealNumber.parse("F220102202600000100")
    with pytest.raises(InvalidSealNumber):
        SealNumber.parse(None)


def test_location_codes_nest_store_room_shelf_bin():
    code = LocationCode.parse(" l220102-a-2-03-1 ")
    assert str(code) == "L220102-A-2-03-1" and code.level is LocationLevel.BIN
    assert [str(c) for c in (code.parent, code.parent.parent, code.parent.parent.parent)] == [
        "L220102-A-2-03",
        "L220102-A-2",
        "L220102-A",
    ]
    assert LocationCode.parse("L220102-A").parent is None
    for bad in (
        "L220102",
        "L220102-",
        "L220102-A-B-C-D-E",
        "L22010-A",
        "L220102-A_B",
        "L220102-ABCDEF",
        "x",
    ):
        with pytest.raises(InvalidLocationCode):
            LocationCode.parse(bad)


def test_classify_tells_the_three_apart_each_by_its_own_rules():
    item = str(EvidenceNumber(ItemKind.FIREARM, "220102", 2026, 12))
    seal = str(SealNumber.make("220102", 2026, 12))
    assert (classify(item).kind, classify(item).value, classify(item).valid) == ("evidence", item, True)
    assert (classify(seal.lower()).kind, classify(seal).value) == ("seal", seal)
    assert (classify("L220102-A-2").kind, classify("l220102-a-2").value) == ("location", "L220102-A-2")
    bad_seal = classify(seal[:-2] + ("00" if seal[-2:] != "00" else "01"))
    assert (
        bad_seal.kind == "seal"
        and bad_seal.error is not None
        and bad_seal.error.key == "seal_no.check_digits"
    )
    bad_item = classify(item[:-2] + ("00" if item[-2:] != "00" else "01"))
    assert bad_item.kind == "evidence" and bad_item.error.key == "evidence_no.check_digits"
    assert classify("L220102-A-").kind == "location" and not classify("L220102-A-").valid
    for noise in ("", "\x1b[A", "hello", "S123", None, 17):
        found = classify(noise)
        assert found.kind == "unknown" and found.error is not None and found.error.key == "scan.unknown_code"


@given(st.text(max_size=40))
def test_classify_never_raises_and_a_valid_answer_parses_again(text):
    found = classify(text)
    if found.valid:
        again = classify(found.value)
        assert (again.kind, again.value) == (found.kind, found.value)
    else:
        assert found.error is not None


def test_the_longest_location_code_fits_a_label_barcode():
    from labels.evidence import MAX_CODE_LENGTH, check_code

    longest = str(LocationCode.parse("L220102-ABCDE-12345-ABCDE-12345"))
    assert len(longest) <= MAX_CODE_LENGTH
    assert check_code(longest, what="location code") == longest
