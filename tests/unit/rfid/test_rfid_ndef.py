"""NDEF Text records and the Type 2 TLV area, as pure functions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.rfid.errors import NdefFormatError
from devices.rfid.ndef import NdefTlv, decode_text, encode_text, ndef_tlv, parse_ndef_area, scan_ndef_tlv

NUMBER = "F220100202600012787"


def _check_digits(body: str) -> str:
    """ISO/IEC 7064 MOD 97-10 over the body, letters A=10 … Z=35 (as printed on evidence labels)."""
    digits = "".join(str(int(ch, 36)) for ch in body)
    return f"{98 - int(digits + '00') % 97:02d}"


@st.composite
def evidence_numbers(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from("FACB"))
    region = draw(st.from_regex(r"[0-9]{6}", fullmatch=True))
    year = draw(st.integers(2000, 2099))
    sequence = draw(st.integers(1, 999_999))
    body = f"{kind}{region}{year:04d}{sequence:06d}"
    return body + _check_digits(body)


def test_generated_numbers_follow_the_printed_format() -> None:
    assert _check_digits(NUMBER[:-2]) == NUMBER[-2:]


def test_text_record_is_one_utf8_record_in_english() -> None:
    message = encode_text(NUMBER)
    # MB ME SR, TNF well-known; type "T"; status byte: UTF-8, language length 2; "en"
    assert message[:7] == bytes.fromhex("D1011654") + b"\x02en"
    assert message[7:] == NUMBER.encode()


def test_text_round_trips_including_chinese() -> None:
    assert decode_text(encode_text("封存袋 S-2026-0042")) == "封存袋 S-2026-0042"


def test_empty_message_has_no_text() -> None:
    assert decode_text(b"") is None


def test_message_without_text_record_has_no_text() -> None:
    uri_record = bytes.fromhex("D1010B5504") + b"example.cn"
    assert decode_text(uri_record) is None


def test_undecodable_message_is_a_format_error() -> None:
    with pytest.raises(NdefFormatError):
        decode_text(b"\xd1\x01\x30T\x02en")


def test_short_tlv_has_one_length_byte_and_a_terminator() -> None:
    assert ndef_tlv(b"abc") == b"\x03\x03abc\xfe"


def test_long_tlv_has_three_length_bytes() -> None:
    tlv = ndef_tlv(b"x" * 300)
    assert tlv[:4] == b"\x03\xff\x01\x2c"
    assert parse_ndef_area(tlv + b"\x00" * 8) == b"x" * 300


def test_null_and_lock_control_tlvs_are_skipped() -> None:
    area = b"\x00\x00" + b"\x01\x03\xa0\x10\x44" + ndef_tlv(b"hello") + b"\x00" * 4
    assert parse_ndef_area(area) == b"hello"


def test_terminator_before_any_ndef_tlv_means_no_ndef() -> None:
    assert parse_ndef_area(b"\xfe" + b"\x03\x02hi" + b"\x00" * 10) is None


def test_area_of_nulls_holds_no_ndef() -> None:
    assert parse_ndef_area(b"\x00" * 48) is None


def test_empty_ndef_tlv_is_an_empty_message() -> None:
    assert parse_ndef_area(b"\x03\x00\xfe\x00" + b"\x00" * 44) == b""


def test_tlv_running_past_the_data_area_is_a_format_error() -> None:
    with pytest.raises(NdefFormatError):
        parse_ndef_area(b"\x03\x40" + b"\x00" * 30)


def test_partial_area_asks_for_the_bytes_it_needs() -> None:
    tlv = ndef_tlv(encode_text(NUMBER))
    assert scan_ndef_tlv(b"", 144) == 1
    assert scan_ndef_tlv(tlv[:1], 144) == 2
    assert scan_ndef_tlv(tlv[:16], 144) == 2 + len(encode_text(NUMBER))
    assert scan_ndef_tlv(tlv[:32], 144) == NdefTlv(2, encode_text(NUMBER))


@given(evidence_numbers())
def test_evidence_numbers_round_trip_through_record_and_tlv(number: str) -> None:
    area = ndef_tlv(encode_text(number)).ljust(144, b"\x00")
    message = parse_ndef_area(area)
    assert message is not None
    assert decode_text(message) == number


@given(st.binary(max_size=300))
def test_tlv_parser_raises_nothing_but_its_own_error(area: bytes) -> None:
    try:
        message = parse_ndef_area(area)
    except NdefFormatError:
        return
    assert message is None or message in area


@given(st.binary(max_size=200))
def test_message_decoder_raises_nothing_but_its_own_error(message: bytes) -> None:
    try:
        text = decode_text(message)
    except NdefFormatError:
        return
    assert text is None or isinstance(text, str)


@given(st.binary(min_size=16, max_size=200).map(lambda b: b[: len(b) - len(b) % 16]))
def test_reading_in_chunks_finds_what_a_whole_read_finds(area: bytes) -> None:
    try:
        whole: object = parse_ndef_area(area)
    except NdefFormatError:
        whole = NdefFormatError
    read = b""
    try:
        found = scan_ndef_tlv(read, len(area))
        while isinstance(found, int):
            assert found > len(read)
            read += area[len(read) : len(read) + 16]
            found = scan_ndef_tlv(read, len(area))
        chunked: object = None if found is None else found.message
    except NdefFormatError:
        chunked = NdefFormatError
    assert chunked == whole
