"""Code 128 symbols: python-barcode's encoding, drawn as bars and asked of a ZPL printer unchanged."""

import pytest
from barcode.codex import Code128
from hypothesis import given
from hypothesis import strategies as st

from custody.numbers import EvidenceNumber, ItemKind
from labels import InvalidLabel
from labels.code128 import encode, text_of

codes = st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ./-", min_size=1, max_size=32)
numbers = st.builds(
    lambda kind, region, year, sequence: str(EvidenceNumber(kind, region, year, sequence)),
    st.sampled_from(list(ItemKind)),
    st.from_regex(r"\A[0-9]{6}\Z"),
    st.integers(1000, 9999),
    st.integers(1, 999_999),
)
_SET_OF_START = {103: "A", 104: "B", 105: "C"}


def values_from_zpl(data: str) -> list[int]:
    """Symbol values (start … last data character) that a printer builds from ``^BC`` no-mode data."""
    starts = {">9": 103, ">:": 104, ">;": 105}
    switches = {">7": ("A", 101), ">6": ("B", 100), ">5": ("C", 99)}
    values = [starts[data[:2]]]
    code_set, i = _SET_OF_START[values[0]], 2
    while i < len(data):
        if data[i] == ">":
            code_set, value = switches[data[i : i + 2]]
            values.append(value)
            i += 2
        elif code_set == "C":
            values.append(int(data[i : i + 2]))
            i += 2
        else:
            values.append(ord(data[i]) - 32)
            i += 1
    return values


@given(st.one_of(codes, numbers))
def test_modules_are_python_barcodes(text):
    if not text.startswith("99"):
        assert encode(text).modules == Code128(text).build()[0]


@given(st.one_of(codes, numbers))
def test_every_symbol_reads_back_as_its_text(text):
    assert text_of(encode(text).values[:-1]) == text


@pytest.mark.parametrize("text", ["99", "991234", "9901-07", "99A"])
def test_a_leading_99_pair_is_kept(text):
    # python-barcode 0.16 folds a leading data value 99 into the start character (its issue #251).
    symbol = encode(text)
    assert symbol.values[:2] == (105, 99)
    assert text_of(symbol.values[:-1]) == text


@given(st.one_of(codes, numbers))
def test_bars_cover_exactly_the_dark_modules(text):
    symbol = encode(text)
    dark = ["0"] * symbol.width
    for first, width in symbol.bars():
        dark[first : first + width] = "1" * width
    assert "".join(dark) == symbol.modules


@given(st.one_of(codes, numbers))
def test_check_character_is_the_weighted_sum_modulo_103(text):
    values = encode(text).values
    assert values[-1] == (values[0] + sum(i * v for i, v in enumerate(values[1:-1], start=1))) % 103


@given(st.one_of(codes, numbers))
def test_zpl_data_asks_the_printer_for_the_same_symbol(text):
    symbol = encode(text)
    data = symbol.zpl_data()
    assert values_from_zpl(data) == list(symbol.values[:-1])
    assert text_of(values_from_zpl(data)) == text


def test_evidence_number_packs_its_digits_in_code_set_c():
    symbol = encode("F220100202600012787")
    assert symbol.values[:3] == (104, ord("F") - 32, 99)  # start B, "F", switch to C
    assert len(symbol.values) == 13  # start, F, code C, 9 digit pairs, check
    assert symbol.width == 156  # 12 characters of 11 modules and the 13-module stop
    assert symbol.zpl_data() == ">:F>5220100202600012787"


def test_a_greater_than_sign_is_escaped_for_zpl_and_carets_are_refused():
    assert encode("A>B").zpl_data() == ">:A><B"
    with pytest.raises(InvalidLabel, match="ZPL"):
        encode("A^B").zpl_data()


@pytest.mark.parametrize("text", ["", "长春", "é", "A\nB"])
def test_text_outside_printable_ascii_is_refused(text):
    with pytest.raises(InvalidLabel, match="Code 128"):
        encode(text)
