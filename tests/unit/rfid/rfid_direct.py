"""The driver against the simulated tag without pcscd: a card connection that hands APDUs straight to
the simulator's reader firmware, with the same zero-byte answer vpcd gives when the tag leaves."""

from __future__ import annotations

from devices.rfid.errors import TagLeftField
from simulators.tag_memory import MODELS, TagMemory
from simulators.tag_reader import ReaderFamily, ReaderFirmware

UID7 = bytes.fromhex("04A1B2C3D4E5F6")
UID4 = bytes.fromhex("C0FFEE01")


class DirectConnection:
    """Stands in for :class:`devices.rfid.pcsc.CardConnection`; can leave the field after N APDUs."""

    def __init__(self, firmware: ReaderFirmware, reader: str = "Virtual PCD 00 00") -> None:
        self.firmware = firmware
        self.reader = reader
        self.atr = firmware.atr
        self.sent: list[bytes] = []
        self.leave_after: int | None = None
        self.gone = False
        self.closed = False
        self.resets = 0

    def transmit(self, apdu: bytes) -> bytes:
        if self.gone:
            raise TagLeftField("transmit: card removed", reader=self.reader)
        if self.leave_after is not None and len(self.sent) >= self.leave_after:
            self.gone = True
            raise TagLeftField("transmit: response of 0 bytes, without a status word", reader=self.reader)
        self.sent.append(apdu)
        return self.firmware.respond(apdu)

    def reset(self) -> None:
        """A card reset through PC/SC: the reader selects the tag again."""
        self.resets += 1
        self.firmware.tag.power_up()

    def close(self) -> None:
        self.closed = True


def make_tag(
    kind: str = "ntag215",
    *,
    text: str | None = None,
    locked: bool = False,
    family: ReaderFamily = "acr122u",
    answers_get_version: bool = True,
    reader: str = "Virtual PCD 00 00",
) -> tuple[TagMemory, DirectConnection]:
    """A simulated tag (UID7, or UID4 for MIFARE Classic) on a reader, and the connection to it."""
    model = MODELS[kind]
    tag = TagMemory(model, UID7 if model.uid_length == 7 else UID4)
    tag.answers_get_version = answers_get_version
    if text is not None:
        tag.store_text(text)
    if locked:
        tag.lock_permanently()
    return tag, DirectConnection(ReaderFirmware(tag, family), reader)
