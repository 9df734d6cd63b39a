import pytest
from hypothesis import given
from hypothesis import strategies as st

from custody.errors import InvalidEvidenceNumber
from custody.numbers import EvidenceNumber, ItemKind, evidence_number

numbers = st.builds(
    EvidenceNumber,
    kind=st.sampled_from(list(ItemKind)),
    region_code=st.from_regex(r"\A[0-9]{6}\Z"),
    year=st.integers(1000, 9999),
    sequence=st.integers(1, 999_999),
)


def test_known_numbers_carry_their_check_digits():
    assert str(EvidenceNumber(ItemKind.FIREARM, "220100", 2026, 127)) == "F220100202600012787"
    assert str(EvidenceNumber(ItemKind.AMMUNITION, "220100", 2026, 128)) == "A220100202600012844"


@given(numbers)
def test_round_trip(number):
    assert EvidenceNumber.parse(str(number)) == number


@given(numbers)
def test_parse_accepts_lower_case_and_surrounding_spaces(number):
    assert EvidenceNumber.parse(f"  {str(number).lower()}\t") == number


@given(numbers, st.data())
def test_every_single_substitution_is_detected(number, data):
    text = str(number)
    position = data.draw(st.integers(0, len(text) - 1))
    alphabet = "FABC" if position == 0 else "0123456789"
    replacement = data.draw(st.sampled_from([c for c in alphabet if c != text[position]]))
    with pytest.raises(InvalidEvidenceNumber):
        EvidenceNumber.parse(text[:position] + replacement + text[position + 1 :])


@given(numbers, st.data())
def test_every_adjacent_transposition_is_detected(number, data):
    text = str(number)
    position = data.draw(st.integers(1, len(text) - 2))
    a, b = text[position], text[position + 1]
    if a == b:
        return
    with pytest.raises(InvalidEvidenceNumber):
        EvidenceNumber.parse(text[:position] + b + a + text[position + 2 :])


@pytest.mark.parametrize(
    "text",
    [
        "",
        "F22010020260001278",
        "F2201002026000127877",
        "X220100202600012787",
        "F22010O202600012787",
        "F 220100202600012787",
        "F220100202600012788",
        "F-220100202600012787",
        "F22010０202600012787",
    ],
)
def test_malformed_numbers_are_refused_with_a_reason(text):
    with pytest.raises(InvalidEvidenceNumber) as refused:
        EvidenceNumber.parse(text)
    assert str(refused.value)


@given(numbers, st.sampled_from(["{}", " {} ", "{}\n"]), st.booleans())
def test_the_canonical_form_is_the_parsed_numbers_text(number, layout, lower):
    from custody.numbers import canonical_number

    text = layout.format(str(number).lower() if lower else str(number))
    assert canonical_number(text) == str(EvidenceNumber.parse(text)) == str(number)


@given(st.text(max_size=25))
def test_the_canonical_form_refuses_what_parsing_refuses(text):
    from custody.numbers import canonical_number

    try:
        parsed = str(EvidenceNumber.parse(text))
    except InvalidEvidenceNumber as refused:
        with pytest.raises(InvalidEvidenceNumber) as again:
            canonical_number(text)
        assert str(again.value) == str(refused)
    else:
        assert canonical_number(text) == parsed


@given(numbers)
def test_the_number_of_parts_is_the_records_text(number):
    parts = (number.kind, number.region_code, number.year, number.sequence)
    assert evidence_number(*parts) == str(number)


@given(
    st.sampled_from(list(ItemKind)),
    st.one_of(st.from_regex(r"\A[0-9]{6}\Z"), st.text(max_size=8)),
    st.integers(-10, 12_000),
    st.integers(-10, 1_000_010),
)
def test_the_number_of_parts_refuses_what_the_record_refuses(kind, region_code, year, sequence):
    try:
        expected = str(EvidenceNumber(kind, region_code, year, sequence))
    except InvalidEvidenceNumber as refused:
        with pytest.raises(InvalidEvidenceNumber) as raised:
            evidence_number(kind, region_code, year, sequence)
        assert (raised.value.key, str(raised.value)) == (refused.key, str(refused))
    else:
        assert evidence_number(kind, region_code, year, sequence) == expected
