"""NDEF on NFC Forum Type 2 tags, as pure functions: Text records and the TLV area.

The evidence number is stored as an NDEF message of one Text record (language ``en``, UTF-8), inside
an NDEF TLV of the tag's data area (page 4 on). Records are built and decoded by ``ndeflib``; the TLV
area is parsed here. Nothing in this module touches a reader, so it is tested exhaustively.

TLV area (NFC Forum Type 2 Tag, section 2.3): a sequence of ``T L V`` blocks; ``00`` NULL and ``FE``
Terminator have no length; the length is one byte, or ``FF`` followed by two big-endian bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

import ndef

from devices.rfid.errors import NdefFormatError

NULL_TLV = 0x00
LOCK_CONTROL_TLV = 0x01
MEMORY_CONTROL_TLV = 0x02
NDEF_TLV = 0x03
PROPRIETARY_TLV = 0xFD
TERMINATOR_TLV = 0xFE

TEXT_LANGUAGE = "en"


def encode_text(text: str, language: str = TEXT_LANGUAGE) -> bytes:
    """The NDEF message holding ``text`` as its one Text record (UTF-8)."""
    record = ndef.TextRecord(text, language, "UTF-8")
    return b"".join(ndef.message_encoder([record]))


def decode_text(message: bytes) -> str | None:
    """The text of the message's first Text record; None for an empty message or one without text.

    Raises :class:`NdefFormatError` when the message does not decode.
    """
    if not message:
        return None
    try:
        records = list(ndef.message_decoder(message))
    except (ndef.DecodeError, ValueError, TypeError, LookupError, UnicodeError) as exc:
        raise NdefFormatError(f"NDEF message does not decode: {exc}") from None
    for record in records:
        if isinstance(record, ndef.TextRecord):
            return str(record.text)
    return None


def ndef_tlv(message: bytes) -> bytes:
    """The NDEF TLV for ``message`` followed by a Terminator TLV."""
    length = len(message)
    if length > 0xFFFE:
        raise ValueError(f"an NDEF message on a Type 2 tag holds at most 65534 bytes, got {length}")
    length_field = bytes((length,)) if length < 0xFF else b"\xff" + length.to_bytes(2, "big")
    return bytes((NDEF_TLV,)) + length_field + message + bytes((TERMINATOR_TLV,))


@dataclass(frozen=True, slots=True)
class NdefTlv:
    """The first NDEF TLV of a data area: where its value starts and the message itself."""

    offset: int
    message: bytes


def scan_ndef_tlv(area: bytes, size: int) -> NdefTlv | int | None:
    """Find the first NDEF TLV of a ``size``-byte data area, of which ``area`` is the part read so far.

    Returns the :class:`NdefTlv` once it is complete; None when the data area holds no NDEF TLV (a
    Terminator comes first, or NULL and other TLVs fill it); or an int, the number of bytes from the
    start of the area needed before the answer is known. Raises :class:`NdefFormatError` when a TLV
    runs past the end of the data area.
    """
    position = 0
    while position < size:
        if position >= len(area):
            return position + 1
        tag = area[position]
        if tag == NULL_TLV:
            position += 1
            continue
        if tag == TERMINATOR_TLV:
            return None
        value_start = position + 2
        if value_start <= len(area) and area[position + 1] == 0xFF:
            value_start = position + 4
        if value_start > size:
            raise NdefFormatError(f"TLV {tag:02X} at offset {position}: length runs past the data area")
        if value_start > len(area):
            return value_start
        if value_start == position + 4:
            length = int.from_bytes(area[position + 2 : position + 4], "big")
        else:
            length = area[position + 1]
        value_end = value_start + length
        if value_end > size:
            raise NdefFormatError(
                f"TLV {tag:02X} at offset {position} ({length} bytes) runs past the end of the "
                f"{size}-byte data area"
            )
        if tag == NDEF_TLV:
            if value_end > len(area):
                return value_end
            return NdefTlv(value_start, bytes(area[value_start:value_end]))
        position = value_end
    return None


def parse_ndef_area(area: bytes) -> bytes | None:
    """The NDEF message in a complete data area, or None when it holds none.

    Raises :class:`NdefFormatError` (and nothing else) when the area is malformed.
    """
    result = scan_ndef_tlv(area, len(area))
    if isinstance(result, int):  # cannot happen with the whole area at hand
        raise NdefFormatError(f"the {len(area)}-byte data area ends inside a TLV")
    return None if result is None else result.message
