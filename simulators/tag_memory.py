"""The simulated tag itself: NTAG213/215/216 and NTAG 213 TT memory, and a MIFARE Classic 1K card.

Written from the NXP datasheets, independently of the driver (it is the driver's test equipment):

* pages 0-1 hold the 7-byte UID with check bytes BCC0 = 88 ^ UID0 ^ UID1 ^ UID2 and BCC1 = UID3 ^ … ^ UID6;
  page 2 is BCC1, an internal byte (48) and the two static lock bytes; page 3 the capability container
  (E1 10 size 00, one-time programmable); user memory from page 4, shipped holding an empty NDEF TLV;
* then the dynamic lock bytes (NTAG213: one bit per 2 pages from page 16; 215/216: per 16 pages),
  CFG0, CFG1, PWD and PACK (read as zeros); NTAG 213 TT adds its tamper message page (2Dh);
* READ returns 4 pages and rolls over past the last page to page 0; WRITE writes one page, ORs the
  lock bytes and the CC, and is refused (NAK) for the UID, a locked page or an address out of range;
* a command the tag does not answer sends it back to idle: it answers nothing more until selected
  again (a reset or power-up), which the driver must do after an unanswered GET_VERSION;
* NTAG 213 TT measures its tamper loop at each power-up: an open loop stores the tamper message in
  permanent memory (once) and READ_TT_STATUS answers the stored message and ``C``/``O``.
"""

from __future__ import annotations

from dataclasses import dataclass

import ndef


class Nak(Exception):
    """The tag refuses a command (a NAK on the air, 63 00 from the reader)."""


@dataclass(frozen=True, slots=True)
class TagModel:
    key: str
    name: str
    pages: int = 0
    user_pages: int = 0
    cc_size: int = 0
    dynamic_lock_page: int = 0
    pages_per_lock_bit: int = 2
    pwd_page: int = 0
    version: bytes | None = None
    tamper: bool = False
    uid_length: int = 7
    atr_card_name: int = 0x0003

    @property
    def type2(self) -> bool:
        return self.pages > 0


_V = bytes.fromhex
# key, name, pages, user pages, CC size byte, dynamic lock page, pages per lock bit, PWD page, GET_VERSION
MODELS: dict[str, TagModel] = {
    "ntag213": TagModel("ntag213", "NTAG213", 45, 36, 0x12, 0x28, 2, 0x2B, _V("0004040201000F03")),
    "ntag215": TagModel("ntag215", "NTAG215", 135, 126, 0x3E, 0x82, 16, 0x85, _V("0004040201001103")),
    "ntag216": TagModel("ntag216", "NTAG216", 231, 222, 0x6D, 0xE2, 16, 0xE5, _V("0004040201001303")),
    "ntag213tt": TagModel(
        "ntag213tt", "NTAG213 TT", 46, 36, 0x12, 0x28, 2, 0x2B, _V("0004040203000F03"), tamper=True
    ),
    "classic4": TagModel("classic4", "MIFARE Classic 1K", uid_length=4, atr_card_name=0x0001),
}

GET_VERSION = 0x60
READ = 0x30
READ_TT_STATUS = 0xA4
TT_MESSAGE_PAGE = 0x2D
DEFAULT_TT_MESSAGE = b"OPEN"


def text_tlv(text: str) -> bytes:
    """The NDEF TLV (with Terminator) holding ``text`` as one Text record, language en."""
    message = b"".join(ndef.message_encoder([ndef.TextRecord(text, "en", "UTF-8")]))
    length = bytes((len(message),)) if len(message) < 0xFF else b"\xff" + len(message).to_bytes(2, "big")
    return b"\x03" + length + message + b"\xfe"


class TagMemory:
    """The memory and command set of one NTAG21x (or a MIFARE Classic that refuses page access)."""

    def __init__(self, model: TagModel, uid: bytes) -> None:
        if len(uid) != model.uid_length:
            raise ValueError(f"a {model.name} has a {model.uid_length}-byte UID, got {len(uid)} bytes")
        self.model = model
        self.uid = uid
        self.answers_get_version = True
        self.loop_open = False
        self.loop_status = ord("I")
        self.stored_tamper_message = b"\x00" * 4
        self.halted = False  # after a command it does not answer, the tag is idle until selected again
        self.memory = bytearray(4 * model.pages)
        if model.type2:
            self._factory_image()

    def _factory_image(self) -> None:
        model, uid, m = self.model, self.uid, self.memory
        m[0:4] = uid[0:3] + bytes((0x88 ^ uid[0] ^ uid[1] ^ uid[2],))
        m[4:8] = uid[3:7]
        m[8:12] = bytes((uid[3] ^ uid[4] ^ uid[5] ^ uid[6], 0x48, 0x00, 0x00))
        m[12:16] = bytes((0xE1, 0x10, model.cc_size, 0x00))
        m[16:20] = b"\x03\x00\xfe\x00"
        dyn = 4 * model.dynamic_lock_page
        m[dyn : dyn + 4] = b"\x00\x00\x00\xbd"
        m[dyn + 4 : dyn + 8] = b"\x04\x00\x00\xff"  # CFG0: no mirror, no password protection
        m[dyn + 8 : dyn + 12] = b"\x00\x05\x00\x00"  # CFG1
        if model.tamper:
            m[4 * TT_MESSAGE_PAGE : 4 * TT_MESSAGE_PAGE + 4] = DEFAULT_TT_MESSAGE

    # -- memory

    def read(self, page: int) -> bytes:
        """READ: 16 bytes from ``page``, rolling over to page 0; PWD and PACK read as zeros."""
        if self.halted or not self.model.type2 or not 0 <= page < self.model.pages:
            raise Nak(f"READ {page}")
        out = bytearray()
        for n in (p % self.model.pages for p in range(page, page + 4)):
            hidden = self.model.pwd_page <= n <= self.model.pwd_page + 1
            out += b"\x00" * 4 if hidden else self.memory[4 * n : 4 * n + 4]
        return bytes(out)

    def write(self, page: int, data: bytes) -> None:
        """WRITE one page, as the tag would: lock bytes and CC are ORed; locked pages refuse."""
        model = self.model
        if self.halted or not model.type2 or len(data) != 4 or not 2 <= page < model.pages:
            raise Nak(f"WRITE {page}")
        at = 4 * page
        if page == 2:
            self.memory[10] |= data[2]
            self.memory[11] |= data[3]
        elif page in self.locked_pages():
            raise Nak(f"WRITE {page}: locked")
        elif page in (3, model.dynamic_lock_page):
            for i in range(3 if page == model.dynamic_lock_page else 4):
                self.memory[at + i] |= data[i]
        else:
            self.memory[at : at + 4] = data

    def locked_pages(self) -> set[int]:
        lock0, lock1 = self.memory[10], self.memory[11]
        locked = {n for n in range(3, 8) if lock0 >> n & 1}
        locked |= {n for n in range(8, 16) if lock1 >> (n - 8) & 1}
        dyn = 4 * self.model.dynamic_lock_page
        bits = self.memory[dyn] | self.memory[dyn + 1] << 8
        last = 4 + self.model.user_pages
        for bit in range(16):
            if bits >> bit & 1:
                start = 16 + bit * self.model.pages_per_lock_bit
                locked.update(range(start, min(start + self.model.pages_per_lock_bit, last)))
        return locked

    def lock_permanently(self) -> None:
        """Make the tag read-only the way a writer app does: CC write access 0F and every lock bit set."""
        self.memory[15] = 0x0F
        self.memory[10] |= 0xFF
        self.memory[11] |= 0xFF
        dyn = 4 * self.model.dynamic_lock_page
        self.memory[dyn : dyn + 3] = b"\xff\xff\xff"

    def store_text(self, text: str) -> None:
        """Put ``text`` on the tag as it leaves a writer: one NDEF Text record from page 4."""
        tlv = text_tlv(text)
        if len(tlv) > 4 * self.model.user_pages:
            raise ValueError(f"{len(tlv)} bytes do not fit on a {self.model.name}")
        self.memory[16 : 16 + len(tlv)] = tlv

    def page(self, page: int) -> bytes:
        return bytes(self.memory[4 * page : 4 * page + 4])

    # -- power and native commands

    def power_up(self) -> None:
        """A power-up (or reset, which re-selects the tag): NTAG 213 TT measures its tamper loop now, and
        records a first opening for good."""
        self.halted = False
        if not self.model.tamper:
            return
        self.loop_status = ord("O") if self.loop_open else ord("C")
        if self.loop_open and self.stored_tamper_message == b"\x00" * 4:
            self.stored_tamper_message = self.page(TT_MESSAGE_PAGE)

    def native(self, command: bytes) -> bytes | None:
        """The tag's answer to a native command, or None when it stays silent (no answer, a timeout);
        a tag that stays silent is idle until it is selected again (see :meth:`power_up`)."""
        answer = self._native(command) if not self.halted else None
        self.halted = answer is None
        return answer

    def _native(self, command: bytes) -> bytes | None:
        if not command or not self.model.type2:
            return None
        if command[0] == GET_VERSION and len(command) == 1:
            return self.model.version if self.answers_get_version else None
        if command[0] == READ_TT_STATUS and command[1:] == b"\x00" and self.model.tamper:
            return self.stored_tamper_message + bytes((self.loop_status,))
        if command[0] == READ and len(command) == 2:
            try:
                return self.read(command[1])
            except Nak:
                return None
        return None
