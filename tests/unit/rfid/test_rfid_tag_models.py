"""Telling tag models apart (GET_VERSION, ATR, capability container), tamper status, lock bits."""

from __future__ import annotations

import pytest

from devices.rfid.atr import parse_storage_atr
from devices.rfid.errors import CommunicationError, NdefFormatError, NotNdefTag
from devices.rfid.ntag import (
    MIFARE_ULTRALIGHT,
    NTAG213,
    NTAG213_TT,
    NTAG215,
    NTAG216,
    parse_tt_status,
    type_from_capability_container,
    type_from_version,
)
from devices.rfid.type2 import CapabilityContainer, dynamically_locked_pages, statically_locked_pages

ULTRALIGHT_ATR = bytes.fromhex("3B8F8001804F0CA0000003060300030000000068")
CLASSIC_1K_ATR = bytes.fromhex("3B8F8001804F0CA000000306030001000000006A")


def test_part3_atr_names_an_ultralight_family_card() -> None:
    described = parse_storage_atr(ULTRALIGHT_ATR)
    assert described is not None
    assert (described.standard, described.name, described.is_type2) == (0x03, "MIFARE Ultralight", True)


def test_part3_atr_names_a_mifare_classic() -> None:
    described = parse_storage_atr(CLASSIC_1K_ATR)
    assert described is not None
    assert described.is_mifare_classic and described.name == "MIFARE Classic 1K"


def test_contact_card_atr_is_not_a_storage_card() -> None:
    assert parse_storage_atr(bytes.fromhex("3B9F95801FC78031E073FE211B63")) is None


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("0004040201000F03", NTAG213),
        ("0004040201001103", NTAG215),
        ("0004040201001303", NTAG216),
        ("0004040203000F03", NTAG213_TT),
    ],
)
def test_get_version_names_the_ntag_model(version: str, expected: object) -> None:
    assert type_from_version(bytes.fromhex(version)) == expected


def test_unknown_or_short_version_names_nothing() -> None:
    assert type_from_version(bytes.fromhex("0004030101000B03")) is None  # MIFARE Ultralight EV1
    assert type_from_version(b"\x00\x04") is None


@pytest.mark.parametrize(
    ("cc", "expected"),
    [("E1101200", NTAG213), ("E1103E00", NTAG215), ("E1106D00", NTAG216), ("E1100600", MIFARE_ULTRALIGHT)],
)
def test_capability_container_size_names_the_model(cc: str, expected: object) -> None:
    assert type_from_capability_container(CapabilityContainer.parse(bytes.fromhex(cc))) == expected


def test_other_capability_container_sizes_give_a_generic_type2_tag() -> None:
    tag_type = type_from_capability_container(CapabilityContainer.parse(bytes.fromhex("E1101000")))
    assert (tag_type.name, tag_type.data_pages, tag_type.dynamic_lock_page) == (
        "Type 2 tag (128 bytes)",
        32,
        36,
    )


def test_page_without_cc_magic_is_not_ndef() -> None:
    with pytest.raises(NotNdefTag):
        CapabilityContainer.parse(bytes(4))


def test_cc_of_an_unknown_mapping_version_is_a_format_error() -> None:
    with pytest.raises(NdefFormatError):
        CapabilityContainer.parse(bytes.fromhex("E1203E00"))


def test_cc_write_access_0f_means_read_only() -> None:
    assert not CapabilityContainer.parse(bytes.fromhex("E1103E0F")).writable
    assert CapabilityContainer.parse(bytes.fromhex("E1103E00")).writable


def test_tt_status_of_an_intact_seal() -> None:
    status = parse_tt_status(bytes(4) + b"C")
    assert (status.loop, status.opened_before, status.broken) == ("closed", False, False)


def test_tt_status_remembers_an_opening_after_the_loop_closed_again() -> None:
    status = parse_tt_status(b"OPEN" + b"C")
    assert (status.loop, status.opened_before, status.broken) == ("closed", True, True)


def test_tt_status_of_an_open_loop() -> None:
    assert parse_tt_status(b"OPEN" + b"O").broken is True


def test_malformed_tt_status_is_a_communication_error() -> None:
    with pytest.raises(CommunicationError):
        parse_tt_status(b"\x00\x00C")


def test_static_lock_bits_cover_pages_3_to_15() -> None:
    assert statically_locked_pages(0b0011_1000, 0b1000_0001) == {3, 4, 5, 8, 15}
    assert statically_locked_pages(0b0000_0111, 0) == set()  # block-locking bits lock no page


def test_ntag213_dynamic_lock_bit_covers_two_pages() -> None:
    assert dynamically_locked_pages(b"\x01\x08\x00", NTAG213) == {16, 17, 38, 39}


def test_ntag216_dynamic_lock_bit_covers_sixteen_pages_up_to_the_last_data_page() -> None:
    assert dynamically_locked_pages(b"\x00\x20\x00", NTAG216) == {224, 225}
    assert dynamically_locked_pages(b"\x01\x00\x00", NTAG216) == set(range(16, 32))
