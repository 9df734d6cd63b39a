"""NDEF on an NFC Forum Type 2 tag over a reader: capability container, lock bits, reading, writing.

Memory (NTAG21x datasheet, section 8.5): page 0-1 UID, page 2 the last UID check byte, an internal
byte and the two static lock bytes, page 3 the capability container (CC), user memory from page 4,
then the dynamic lock bytes. A read returns the NDEF message only once every byte of its TLV has been
read; a write marks the NDEF TLV empty first and writes its real length last, so a tag pulled away
mid-write reads as empty, never as half of the new number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from devices.rfid.errors import NdefFormatError, NotNdefTag, TagLocked, TagTooSmall
from devices.rfid.ndef import NdefTlv, ndef_tlv, scan_ndef_tlv
from devices.rfid.readers import PAGE_SIZE, StorageCardReader

FIRST_DATA_PAGE = 4
CC_MAGIC = 0xE1
_EMPTY_NDEF_PAGE = bytes((0x03, 0x00, 0xFE, 0x00))


class Type2Layout(Protocol):
    """Where a tag model keeps its lock bits (a :class:`~devices.rfid.ntag.TagType` is one)."""

    @property
    def data_pages(self) -> int: ...
    @property
    def dynamic_lock_page(self) -> int | None: ...
    @property
    def pages_per_lock_bit(self) -> int: ...


@dataclass(frozen=True, slots=True)
class CapabilityContainer:
    """Page 3: magic ``E1``, mapping version, data area size / 8, read and write access."""

    version: int
    data_area_size: int
    access: int

    @classmethod
    def parse(cls, raw: bytes) -> CapabilityContainer:
        if len(raw) != 4 or raw[0] != CC_MAGIC:
            raise NotNdefTag(f"no NDEF capability container (page 3 is {raw.hex(' ').upper()})")
        if raw[1] >> 4 != 1:
            raise NdefFormatError(f"unsupported NDEF mapping version {raw[1] >> 4}.{raw[1] & 0x0F}")
        return cls(version=raw[1], data_area_size=raw[2] * 8, access=raw[3])

    @property
    def writable(self) -> bool:
        return self.access & 0x0F == 0x00


def statically_locked_pages(lock0: int, lock1: int) -> set[int]:
    """Pages 3-15 locked by the static lock bytes (page 2, bytes 2 and 3)."""
    locked = {page for page in range(3, 8) if lock0 & (1 << page)}
    locked |= {page for page in range(8, 16) if lock1 & (1 << (page - 8))}
    return locked


def dynamically_locked_pages(lock_bytes: bytes, layout: Type2Layout) -> set[int]:
    """Pages from 16 on locked by the first two dynamic lock bytes, each bit covering a page group."""
    bits = int.from_bytes(lock_bytes[:2], "little")
    end = FIRST_DATA_PAGE + layout.data_pages
    group = layout.pages_per_lock_bit
    locked: set[int] = set()
    for bit in range(16):
        if bits & (1 << bit):
            start = 16 + bit * group
            locked.update(range(start, min(start + group, end)))
    return locked


def read_ndef_message(
    reader: StorageCardReader, layout: Type2Layout, header: bytes | None = None
) -> bytes | None:
    """The tag's NDEF message (b"" when empty), or None when its data area holds no NDEF TLV.

    Raises :class:`NotNdefTag` when the tag has no capability container, :class:`NdefFormatError` when
    the TLV area is malformed, and the transport's errors when the tag leaves.
    """
    if header is None:
        header = reader.read_pages(0)
    cc = CapabilityContainer.parse(header[12:16])
    size = _data_area_size(cc, layout)
    area = b""
    while True:
        found = scan_ndef_tlv(area, size)
        if not isinstance(found, int):
            return found.message if isinstance(found, NdefTlv) else None
        while len(area) < found:
            area += reader.read_pages(FIRST_DATA_PAGE + len(area) // PAGE_SIZE)
        area = area[:size]


def write_ndef_message(reader: StorageCardReader, layout: Type2Layout, message: bytes) -> None:
    """Write ``message`` as the tag's NDEF TLV.

    Refuses, before writing anything, a tag whose CC says read-only or whose lock bits cover a page
    the message needs (:class:`TagLocked`), and a message larger than the data area (:class:`TagTooSmall`).
    """
    header = reader.read_pages(0)
    cc = CapabilityContainer.parse(header[12:16])
    if not cc.writable:
        raise TagLocked(f"the tag is read-only (CC write access 0x{cc.access & 0x0F:X})", reader=reader.name)
    size = _data_area_size(cc, layout)
    tlv = ndef_tlv(message)
    if len(tlv) - 1 == size:
        tlv = tlv[:-1]  # the Terminator may be left out when the NDEF TLV fills the area
    if len(tlv) > size:
        raise TagTooSmall(
            f"the NDEF message needs {len(tlv)} bytes, the tag's data area holds {size}", reader=reader.name
        )
    tlv += b"\x00" * (-len(tlv) % PAGE_SIZE)
    pages = [tlv[i : i + PAGE_SIZE] for i in range(0, len(tlv), PAGE_SIZE)]
    numbers = range(FIRST_DATA_PAGE, FIRST_DATA_PAGE + len(pages))
    locked = statically_locked_pages(header[10], header[11])
    if numbers[-1] >= 16 and layout.dynamic_lock_page is not None:
        locked |= dynamically_locked_pages(reader.read_pages(layout.dynamic_lock_page)[:3], layout)
    blocked = sorted(locked.intersection(numbers))
    if blocked:
        raise TagLocked(
            f"page(s) {', '.join(map(str, blocked))} needed for the message are locked", reader=reader.name
        )
    reader.write_page(FIRST_DATA_PAGE, _EMPTY_NDEF_PAGE)
    for number, page in zip(numbers[1:], pages[1:], strict=True):
        reader.write_page(number, page)
    reader.write_page(FIRST_DATA_PAGE, pages[0])


def _data_area_size(cc: CapabilityContainer, layout: Type2Layout) -> int:
    physical = layout.data_pages * PAGE_SIZE
    return min(cc.data_area_size, physical) if physical else cc.data_area_size
