"""The reader half of the simulated device: the ATR and APDU answers an ACS ACR122U gives for a tag.

vpcd hands every APDU to the virtual card, so the card must also play the reader's firmware. This
answers the PC/SC part 3 storage-card pseudo-APDUs (``FF CA`` UID, ``FF B0`` read 16 bytes, ``FF D6``
write one page), the ACR122U's firmware query (``FF 00 48 00 00``, answered with its name and no status
word, as the real reader does) and direct transmit to the PN532 (``FF 00 00 00 Lc D4 42 …`` →
``D5 43 <status> <data> 90 00``; status 01 when the tag stays silent). As a "generic" reader it
refuses the ACS commands, like any other PC/SC part 3 reader.
"""

from __future__ import annotations

from functools import reduce
from typing import Literal

from simulators.tag_memory import Nak, TagMemory

ReaderFamily = Literal["acr122u", "generic"]

OK = b"\x90\x00"
FAILED = b"\x63\x00"
WRONG_LENGTH = b"\x67\x00"
NOT_SUPPORTED = b"\x6a\x81"
WRONG_P1P2 = b"\x6b\x00"
INS_NOT_SUPPORTED = b"\x6d\x00"
CLA_NOT_SUPPORTED = b"\x6e\x00"
FIRMWARE = b"ACR122U207"


def storage_card_atr(card_name: int) -> bytes:
    """PC/SC part 3 ATR of an ISO 14443 A part 3 storage card, with its check byte."""
    body = bytes.fromhex("8F8001804F0CA000000306") + bytes((0x03,)) + card_name.to_bytes(2, "big") + bytes(4)
    return b"\x3b" + body + bytes((reduce(lambda a, b: a ^ b, body),))


def is_read_binary(apdu: bytes) -> bool:
    return apdu[:2] == b"\xff\xb0"


def is_update_binary(apdu: bytes) -> bool:
    return apdu[:2] == b"\xff\xd6"


class ReaderFirmware:
    """Answers one tag's APDUs as an ACR122U (or a generic PC/SC part 3 reader) would."""

    def __init__(self, tag: TagMemory, family: ReaderFamily = "acr122u") -> None:
        self.tag = tag
        self.family = family
        self.atr = storage_card_atr(tag.model.atr_card_name)

    def respond(self, apdu: bytes) -> bytes:
        if len(apdu) < 4:
            return WRONG_LENGTH
        if apdu[0] != 0xFF:
            return CLA_NOT_SUPPORTED
        ins, p1, p2 = apdu[1], apdu[2], apdu[3]
        if ins == 0xCA:
            return self._get_data(p1, apdu[4:])
        if ins == 0xB0:
            return self._read_binary(p1, p2, apdu[4:])
        if ins == 0xD6:
            return self._update_binary(p1, p2, apdu[4:])
        if ins == 0x00 and self.family == "acr122u":
            return self._direct(p1, p2, apdu[4:])
        return INS_NOT_SUPPORTED if ins != 0x00 else NOT_SUPPORTED

    def _get_data(self, p1: int, rest: bytes) -> bytes:
        if p1 != 0x00:
            return NOT_SUPPORTED
        uid = self.tag.uid
        wanted = rest[0] if rest else 0
        if wanted and wanted < len(uid):
            return b"\x6c" + bytes((len(uid),))
        return uid + OK

    def _read_binary(self, p1: int, page: int, rest: bytes) -> bytes:
        length = rest[0] if rest else 0
        if p1 != 0x00 or not 0 < length <= 16:
            return WRONG_P1P2 if p1 else WRONG_LENGTH
        try:
            return self.tag.read(page)[:length] + OK
        except Nak:
            return FAILED

    def _update_binary(self, p1: int, page: int, rest: bytes) -> bytes:
        if p1 != 0x00:
            return WRONG_P1P2
        if not rest or rest[0] != 4 or len(rest) != 5:
            return WRONG_LENGTH
        try:
            self.tag.write(page, rest[1:5])
        except Nak:
            return FAILED
        return OK

    def _direct(self, p1: int, p2: int, rest: bytes) -> bytes:
        if p1 == 0x48 and p2 == 0x00:
            return FIRMWARE
        if p1 != 0x00 or p2 != 0x00 or not rest or rest[0] != len(rest) - 1:
            return WRONG_LENGTH
        frame = rest[1:]
        if frame[:2] != b"\xd4\x42":
            return FAILED
        answer = self.tag.native(frame[2:])
        if answer is None:
            return b"\xd5\x43\x01" + OK
        return b"\xd5\x43\x00" + answer + OK
