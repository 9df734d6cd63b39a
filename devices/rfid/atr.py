"""The ATR a PC/SC part 3 reader builds for a contactless storage card.

``3B 8F 80 01 80 4F 0C A0 00 00 03 06 SS NN NN 00 00 00 00 TCK``: the historical bytes carry the
PC/SC registered application provider (``A0 00 00 03 06``), the standard ``SS`` (03 = ISO 14443 A
part 3) and a two-byte card name ``NN NN`` from the PC/SC part 3 supplement.
"""

from __future__ import annotations

from dataclasses import dataclass

_PCSC_RID = bytes.fromhex("4F0CA000000306")

#: Card names of the PC/SC part 3 supplement that this product meets.
CARD_NAMES: dict[int, str] = {
    0x0001: "MIFARE Classic 1K",
    0x0002: "MIFARE Classic 4K",
    0x0003: "MIFARE Ultralight",
    0x0026: "MIFARE Mini",
    0x003A: "MIFARE Ultralight C",
}
MIFARE_CLASSIC_NAMES = frozenset({0x0001, 0x0002, 0x0026})
TYPE2_NAMES = frozenset({0x0003, 0x003A})


@dataclass(frozen=True, slots=True)
class StorageCardAtr:
    standard: int
    card_name: int

    @property
    def name(self) -> str:
        return CARD_NAMES.get(self.card_name, f"card name 0x{self.card_name:04X}")

    @property
    def is_mifare_classic(self) -> bool:
        return self.card_name in MIFARE_CLASSIC_NAMES

    @property
    def is_type2(self) -> bool:
        return self.card_name in TYPE2_NAMES


def parse_storage_atr(atr: bytes) -> StorageCardAtr | None:
    """The storage-card description in ``atr``, or None when it is not a PC/SC part 3 storage card."""
    start = atr.find(_PCSC_RID)
    if start < 0 or len(atr) < start + len(_PCSC_RID) + 3:
        return None
    tail = atr[start + len(_PCSC_RID) :]
    return StorageCardAtr(standard=tail[0], card_name=int.from_bytes(tail[1:3], "big"))
