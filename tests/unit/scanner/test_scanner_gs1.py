"""GS1 element strings and AIM symbology identifiers, on their own."""

from __future__ import annotations

import pytest

from devices.scanner.aim import GS1_IDENTIFIERS, split_aim
from devices.scanner.errors import Gs1Error
from devices.scanner.gs1 import gs1_check_digit, parse_element_string

GS = "\x1d"


def test_an_ammunition_box_code_splits_into_gtin_lot_expiry_and_serial():
    data = f"0106901234567892{GS}10LOT-42{GS}17281231{GS}21SN0001"
    assert parse_element_string(data) == {
        "01": "06901234567892",
        "10": "LOT-42",
        "17": "281231",
        "21": "SN0001",
    }


def test_fixed_length_fields_need_no_separator():
    assert parse_element_string("010690123456789217281231" + "10LOT-42") == {
        "01": "06901234567892",
        "17": "281231",
        "10": "LOT-42",
    }


def test_a_leading_fnc1_and_a_separator_after_a_fixed_field_are_accepted():
    assert parse_element_string(f"{GS}0106901234567892{GS}21SN0001") == {
        "01": "06901234567892",
        "21": "SN0001",
    }


def test_a_variable_field_runs_to_the_end_of_the_data():
    assert parse_element_string("21SN-0001") == {"21": "SN-0001"}


def test_four_digit_measure_identifiers_are_read():
    assert parse_element_string("0106901234567892" + "3103001250") == {
        "01": "06901234567892",
        "3103": "001250",
    }


def test_identifiers_not_in_the_table_still_split_at_their_separator():
    assert parse_element_string(f"7240ASSET-1{GS}21SN") == {"7240": "ASSET-1", "21": "SN"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("0106901234567893", "check digit"),
        ("01069012345678", "needs 14 characters"),
        ("17281331", "YYMMDD"),
        ("10" + "L" * 21, "at most 20"),
        ("0106901234567892" + "10", "no data"),
        ("30ABC", "numeric"),
        ("05XYZ", "no application identifier"),
        ("", "no GS1 data"),
        (GS, "no GS1 data"),
        (f"21A{GS}21B", "twice"),
        ("0A", "no application identifier"),
    ],
)
def test_a_damaged_element_string_is_refused(data, message):
    with pytest.raises(Gs1Error, match=message):
        parse_element_string(data)


@pytest.mark.parametrize(
    ("body", "digit"), [("0690123456789", "2"), ("629104150021", "3"), ("00000000000", "0")]
)
def test_the_gs1_check_digit(body, digit):
    assert gs1_check_digit(body) == digit


@pytest.mark.parametrize(
    ("payload", "identifier", "symbology", "gs1"),
    [
        (b"]C0ABC", "]C0", "code128", False),
        (b"]C1010", "]C1", "gs1-128", True),
        (b"]E05901234123457", "]E0", "ean-13", False),
        (b"]E412345670", "]E4", "ean-8", False),
        (b"]e0010", "]e0", "gs1-databar", True),
        (b"]d1ABC", "]d1", "datamatrix", False),
        (b"]d2010", "]d2", "gs1-datamatrix", True),
        (b"]Q1ABC", "]Q1", "qr", False),
        (b"]Q3010", "]Q3", "gs1-qr", True),
        (b"]A0ABC", "]A0", "code39", False),
        (b"]I1123456", "]I1", "itf", False),
    ],
)
def test_aim_identifiers(payload, identifier, symbology, gs1):
    aim, rest = split_aim(payload)
    assert (aim.identifier, aim.symbology, aim.gs1) == (identifier, symbology, gs1)
    assert rest == payload[3:]


@pytest.mark.parametrize("payload", [b"", b"]C", b"C0ABC", b"]0CABC", b"]C-ABC", b"]\xc3\xa9ABC", b"]C\xe9"])
def test_what_is_not_an_aim_identifier(payload):
    assert split_aim(payload) is None


def test_the_gs1_identifiers_are_the_fnc1_first_ones():
    assert frozenset({"]C1", "]e0", "]d2", "]Q3"}) == GS1_IDENTIFIERS
