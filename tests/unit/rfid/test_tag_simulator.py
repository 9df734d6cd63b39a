"""The simulated tag follows the NTAG21x datasheet and answers like an ACR122U."""

from __future__ import annotations

from functools import reduce

import pytest

from simulators.tag_memory import MODELS, Nak, TagMemory, text_tlv
from simulators.tag_reader import ReaderFirmware, storage_card_atr

UID = bytes.fromhex("04A1B2C3D4E5F6")


def ntag(kind: str = "ntag215") -> TagMemory:
    return TagMemory(MODELS[kind], UID)


def test_uid_pages_carry_both_check_bytes() -> None:
    header = ntag().read(0)
    assert header[0:3] == UID[0:3] and header[4:8] == UID[3:7]
    assert header[3] == 0x88 ^ UID[0] ^ UID[1] ^ UID[2]
    assert header[8] == UID[3] ^ UID[4] ^ UID[5] ^ UID[6]


@pytest.mark.parametrize(("kind", "size"), [("ntag213", 0x12), ("ntag215", 0x3E), ("ntag216", 0x6D)])
def test_capability_container_and_empty_ndef_as_shipped(kind: str, size: int) -> None:
    assert ntag(kind).read(3)[:8] == bytes((0xE1, 0x10, size, 0x00, 0x03, 0x00, 0xFE, 0x00))


def test_read_rolls_over_past_the_last_page() -> None:
    tag = ntag("ntag213")
    assert tag.read(44)[4:8] == tag.read(0)[:4]


def test_password_pages_read_as_zeros() -> None:
    tag = ntag("ntag213")
    tag.memory[4 * 0x2B : 4 * 0x2B + 4] = b"SECR"
    assert tag.read(0x2B)[:8] == bytes(8)


def test_read_beyond_the_memory_is_refused() -> None:
    with pytest.raises(Nak):
        ntag("ntag213").read(45)


def test_uid_pages_cannot_be_written() -> None:
    with pytest.raises(Nak):
        ntag().write(0, b"\x00" * 4)


def test_lock_bytes_and_cc_are_one_time_programmable() -> None:
    tag = ntag()
    tag.write(2, b"\xff\xff\x10\x00")
    tag.write(2, b"\x00\x00\x00\x01")
    tag.write(3, b"\x00\x00\x00\x0f")
    assert tag.page(2)[1:] == b"\x48\x10\x01" and tag.page(3) == b"\xe1\x10\x3e\x0f"


def test_statically_locked_page_refuses_writes() -> None:
    tag = ntag()
    tag.write(2, b"\x00\x00\x10\x00")
    with pytest.raises(Nak):
        tag.write(4, b"abcd")


def test_dynamically_locked_page_refuses_writes() -> None:
    tag = ntag("ntag213")
    tag.write(0x28, b"\x02\x00\x00\x00")  # pages 18-19
    tag.write(17, b"ok!!")
    with pytest.raises(Nak):
        tag.write(18, b"no!!")


def test_stored_text_is_an_ndef_text_record_from_page_4() -> None:
    tag = ntag()
    tag.store_text("F220100202600012787")
    assert tag.read(4) + tag.read(8) == (text_tlv("F220100202600012787") + bytes(32))[:32]


def test_tamper_loop_is_measured_at_power_up_and_an_opening_is_kept() -> None:
    tag = ntag("ntag213tt")
    tag.power_up()
    assert tag.native(b"\xa4\x00") == bytes(4) + b"C"
    tag.loop_open = True
    assert tag.native(b"\xa4\x00") == bytes(4) + b"C"  # not measured until the next power-up
    tag.power_up()
    assert tag.native(b"\xa4\x00") == b"OPEN" + b"O"
    tag.loop_open = False
    tag.power_up()
    assert tag.native(b"\xa4\x00") == b"OPEN" + b"C"


def test_plain_ntag_does_not_answer_read_tt_status() -> None:
    assert ntag("ntag213").native(b"\xa4\x00") is None


def test_atr_check_byte_is_the_xor_of_the_atr() -> None:
    atr = storage_card_atr(0x0003)
    assert atr == bytes.fromhex("3B8F8001804F0CA0000003060300030000000068")
    assert reduce(lambda a, b: a ^ b, atr[1:]) == 0


def test_acr122u_answers_its_firmware_without_status_word() -> None:
    assert ReaderFirmware(ntag()).respond(b"\xff\x00\x48\x00\x00") == b"ACR122U207"


def test_acr122u_direct_transmit_wraps_get_version() -> None:
    answer = ReaderFirmware(ntag()).respond(bytes.fromhex("FF00000003D44260"))
    assert answer == bytes.fromhex("D54300") + MODELS["ntag215"].version + b"\x90\x00"  # type: ignore[operator]


def test_generic_reader_refuses_acs_commands() -> None:
    firmware = ReaderFirmware(ntag(), "generic")
    assert firmware.respond(bytes.fromhex("FF00000003D44260")) == b"\x6a\x81"
    assert firmware.respond(b"\xff\xca\x00\x00\x00") == UID + b"\x90\x00"


def test_update_binary_writes_exactly_one_page() -> None:
    firmware = ReaderFirmware(ntag())
    assert firmware.respond(bytes.fromhex("FFD6000804") + b"abcd") == b"\x90\x00"
    assert firmware.respond(bytes.fromhex("FFD6000808") + b"abcdefgh") == b"\x67\x00"
    assert firmware.respond(bytes.fromhex("FFB0000810"))[:4] == b"abcd"


def test_mifare_classic_refuses_page_reads_without_authentication() -> None:
    card = TagMemory(MODELS["classic4"], bytes.fromhex("C0FFEE01"))
    firmware = ReaderFirmware(card)
    assert firmware.respond(b"\xff\xca\x00\x00\x00") == bytes.fromhex("C0FFEE01") + b"\x90\x00"
    assert firmware.respond(bytes.fromhex("FFB0000410")) == b"\x63\x00"


def test_tag_silent_to_a_command_answers_nothing_until_selected_again() -> None:
    tag = ntag()
    tag.answers_get_version = False
    assert tag.native(b"\x60") is None
    with pytest.raises(Nak):
        tag.read(4)
    tag.power_up()
    assert tag.read(3)[0] == 0xE1
