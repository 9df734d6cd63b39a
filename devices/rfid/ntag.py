"""Tag types and identification: NXP NTAG213/215/216 (and 213 TT), MIFARE cards, other Type 2 tags.

A tag is identified by GET_VERSION (``60``) when the reader can send native commands and the tag
answers it; otherwise by the ATR's PC/SC card name and, for Type 2 tags, the capability container's
data area size (NTAG213/215/216 datasheet: ``12``, ``3E``, ``6D`` × 8 bytes). NTAG 213 TT reports its
tamper loop with READ_TT_STATUS (``A4 00``): four bytes of the message stored the first time the loop
was found open (zeros if never), then ``C`` closed, ``O`` open or ``I`` not measured, as found at the
last power-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from devices.rfid.atr import parse_storage_atr
from devices.rfid.errors import (
    CommunicationError,
    NativeCommandUnsupported,
    NdefFormatError,
    NotNdefTag,
    TagCommandError,
    TagLeftField,
)
from devices.rfid.readers import StorageCardReader
from devices.rfid.type2 import CapabilityContainer

GET_VERSION = b"\x60"
READ_TT_STATUS = b"\xa4\x00"


@dataclass(frozen=True, slots=True)
class TagType:
    """What the driver needs to know of a tag model (from its datasheet)."""

    name: str
    type2: bool = True  #: NFC Forum Type 2: 4-byte pages, NDEF from page 4
    uid_length: int = 7
    data_pages: int = 0  #: user memory pages from page 4; 0 when only the CC tells
    dynamic_lock_page: int | None = None
    pages_per_lock_bit: int = 2
    tamper: bool = False


NTAG213 = TagType("NTAG213", data_pages=36, dynamic_lock_page=0x28, pages_per_lock_bit=2)
NTAG213_TT = TagType("NTAG213 TT", data_pages=36, dynamic_lock_page=0x28, pages_per_lock_bit=2, tamper=True)
NTAG215 = TagType("NTAG215", data_pages=126, dynamic_lock_page=0x82, pages_per_lock_bit=16)
NTAG216 = TagType("NTAG216", data_pages=222, dynamic_lock_page=0xE2, pages_per_lock_bit=16)
MIFARE_ULTRALIGHT = TagType("MIFARE Ultralight", data_pages=12)
MIFARE_CLASSIC_1K = TagType("MIFARE Classic 1K", type2=False, uid_length=4)
MIFARE_CLASSIC_4K = TagType("MIFARE Classic 4K", type2=False, uid_length=4)
MIFARE_MINI = TagType("MIFARE Mini", type2=False, uid_length=4)
UNKNOWN = TagType("unknown", type2=False)

# GET_VERSION bytes 2, 4 and 6: product type, major product version, storage size.
_BY_VERSION = {
    (0x04, 0x01, 0x0F): NTAG213,
    (0x04, 0x01, 0x11): NTAG215,
    (0x04, 0x01, 0x13): NTAG216,
    (0x04, 0x03, 0x0F): NTAG213_TT,
}
_BY_CC_SIZE = {144: NTAG213, 496: NTAG215, 872: NTAG216, 48: MIFARE_ULTRALIGHT}
_BY_ATR_NAME = {0x0001: MIFARE_CLASSIC_1K, 0x0002: MIFARE_CLASSIC_4K, 0x0026: MIFARE_MINI}

IdentifiedBy = Literal["get_version", "capability_container", "atr", "nothing"]


def type_from_version(version: bytes) -> TagType | None:
    """The NXP tag model a GET_VERSION answer names, or None for models not known here."""
    if len(version) != 8 or version[0] != 0x00 or version[1] != 0x04:
        return None
    return _BY_VERSION.get((version[2], version[4], version[6]))


def type_from_capability_container(cc: CapabilityContainer) -> TagType:
    known = _BY_CC_SIZE.get(cc.data_area_size)
    if known is not None:
        return known
    pages = cc.data_area_size // 4
    return TagType(
        f"Type 2 tag ({cc.data_area_size} bytes)",
        data_pages=pages,
        dynamic_lock_page=4 + pages if cc.data_area_size > 48 else None,
    )


@dataclass(frozen=True, slots=True)
class TamperStatus:
    """Tamper loop of a tamper-evident tag (NTAG 213 TT).

    ``loop`` is what the tag found at its last power-up ("closed", "open", "not_measured"), or
    "unreadable" when the reader cannot send the command. ``opened_before`` is the tag's permanent
    record that the loop was once found open (None when unreadable).
    """

    loop: Literal["closed", "open", "not_measured", "unreadable"]
    opened_before: bool | None
    message: bytes = b""

    @property
    def broken(self) -> bool | None:
        """True when the seal shows any sign of having been opened; None when that cannot be told."""
        if self.loop == "unreadable":
            return None
        return self.loop == "open" or bool(self.opened_before)

    def to_json(self) -> dict[str, object]:
        return {"loop": self.loop, "opened_before": self.opened_before, "broken": self.broken}


_LOOP = {ord("C"): "closed", ord("O"): "open", ord("I"): "not_measured"}


def parse_tt_status(answer: bytes) -> TamperStatus:
    if len(answer) != 5 or answer[4] not in _LOOP:
        raise CommunicationError(f"malformed READ_TT_STATUS answer {answer.hex(' ').upper() or '(empty)'}")
    message = answer[:4]
    return TamperStatus(_LOOP[answer[4]], message != b"\x00" * 4, message)  # type: ignore[arg-type]


def read_tamper(reader: StorageCardReader) -> TamperStatus:
    """The tamper status, or "unreadable" when the reader cannot send the command or the tag ignores it."""
    try:
        return parse_tt_status(reader.transceive(READ_TT_STATUS))
    except NativeCommandUnsupported:
        return TamperStatus("unreadable", None)
    except TagCommandError:
        reader.reactivate()
        return TamperStatus("unreadable", None)


@dataclass(frozen=True, slots=True)
class TagIdentity:
    """Who a tag is: UID, ATR, model and how the model was told. ``header`` holds pages 0-3 when
    they were read on the way (UID, lock bytes, capability container)."""

    uid: bytes
    atr: bytes
    type: TagType
    identified_by: IdentifiedBy
    header: bytes | None = None


def identify(reader: StorageCardReader, atr: bytes) -> TagIdentity:
    """Identify the tag on ``reader``: GET_VERSION first, then the ATR and the capability container.

    Raises the driver's errors for a tag that leaves or a reader that fails; a tag that merely does
    not answer GET_VERSION is identified by the fallbacks.
    """
    uid = reader.uid()
    try:
        return _identify(reader, atr, uid)
    except TagLeftField as left:  # the UID was read whole: it goes with the error, nothing else does
        raise left.with_identity(uid, None, None) from left


def _identify(reader: StorageCardReader, atr: bytes, uid: bytes) -> TagIdentity:
    described = parse_storage_atr(atr)
    if described is not None and described.card_name in _BY_ATR_NAME:
        return TagIdentity(uid, atr, _BY_ATR_NAME[described.card_name], "atr")
    try:
        version = reader.transceive(GET_VERSION)
    except NativeCommandUnsupported:
        version = b""
    except TagCommandError:
        version = b""
        reader.reactivate()  # a tag that does not know the command went back to idle: select it again
    known = type_from_version(version)
    if known is not None:
        return TagIdentity(uid, atr, known, "get_version")
    if described is not None and not described.is_type2:
        return TagIdentity(uid, atr, UNKNOWN, "nothing")
    try:
        header = reader.read_pages(0)
        cc = CapabilityContainer.parse(header[12:16])
    except (TagCommandError, NotNdefTag, NdefFormatError):
        fallback = MIFARE_ULTRALIGHT if described is not None else UNKNOWN
        return TagIdentity(uid, atr, fallback, "atr" if described is not None else "nothing")
    return TagIdentity(uid, atr, type_from_capability_container(cc), "capability_container", header)
