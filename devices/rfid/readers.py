"""Reader adapters: PC/SC part 3 storage-card pseudo-APDUs, and native tag commands per reader family.

Every compliant contactless reader understands the storage-card pseudo-APDUs (``FF CA`` get UID,
``FF B0`` read binary, ``FF D6`` update binary), so :class:`StorageCardReader` works with any of them.
Native tag commands (GET_VERSION, READ_TT_STATUS) need a vendor escape; each reader family wraps them
in its own way behind :meth:`StorageCardReader.transceive`. The ACS ACR122U (a PN532 behind ACS
firmware) is the family implemented: ``FF 00 00 00 Lc D4 42 <command>`` → ``D5 43 <status> <data>``.
"""

from __future__ import annotations

from devices.rfid.errors import CommunicationError, NativeCommandUnsupported, TagCommandError
from devices.rfid.pcsc import CardConnection

PAGE_SIZE = 4
READ_SIZE = 16
_OK = b"\x90\x00"
_GET_UID = b"\xff\xca\x00\x00\x00"
_ACR122_FIRMWARE = b"\xff\x00\x48\x00\x00"
_PN532_IN_COMMUNICATE_THRU = b"\xd4\x42"
_PN532_REPLY = b"\xd5\x43"
_PN532_STATUS = {
    0x01: "the tag did not answer (timeout)",
    0x02: "CRC error",
    0x03: "parity error",
    0x0A: "RF field not active",
    0x14: "authentication error",
    0x27: "command not acceptable in this state",
}


class StorageCardReader:
    """A PC/SC part 3 reader, with a connected card. Native tag commands are not available."""

    family = "pcsc"

    def __init__(self, connection: CardConnection) -> None:
        self.connection = connection

    @property
    def name(self) -> str:
        return self.connection.reader

    def command(self, apdu: bytes) -> bytes:
        """Send a pseudo-APDU; return its data when the status word is 90 00, raise otherwise."""
        response = self.connection.transmit(apdu)
        if response[-2:] != _OK:
            status = response[-2:]
            raise TagCommandError(
                f"command {apdu[:4].hex(' ').upper()} refused with status {status.hex(' ').upper()}",
                reader=self.name,
                status=status,
            )
        return response[:-2]

    def uid(self) -> bytes:
        uid = self.command(_GET_UID)
        if not uid:
            raise CommunicationError("the reader returned an empty UID", reader=self.name)
        return uid

    def read_pages(self, page: int) -> bytes:
        """Read 16 bytes (four 4-byte pages) starting at ``page``."""
        data = self.command(bytes((0xFF, 0xB0, 0x00, page, READ_SIZE)))
        if len(data) != READ_SIZE:
            raise CommunicationError(
                f"read of page {page} returned {len(data)} bytes instead of {READ_SIZE}", reader=self.name
            )
        return data

    def write_page(self, page: int, data: bytes) -> None:
        """Write exactly one 4-byte page."""
        if len(data) != PAGE_SIZE:
            raise ValueError(f"a page holds {PAGE_SIZE} bytes, got {len(data)}")
        self.command(bytes((0xFF, 0xD6, 0x00, page, PAGE_SIZE)) + data)

    def reactivate(self) -> None:
        """Select the tag again; needed after a native command it did not answer (it fell back to idle)."""
        self.connection.reset()

    def transceive(self, command: bytes) -> bytes:
        """Send a native tag command (e.g. ``60`` GET_VERSION) and return the tag's answer."""
        raise NativeCommandUnsupported(
            f"reader family {self.family!r} has no direct transmit for native tag commands", reader=self.name
        )


class Acr122Reader(StorageCardReader):
    """ACS ACR122U: native commands through the PN532's InCommunicateThru, via direct transmit."""

    family = "acr122u"

    def transceive(self, command: bytes) -> bytes:
        wrapped = _PN532_IN_COMMUNICATE_THRU + command
        data = self.command(bytes((0xFF, 0x00, 0x00, 0x00, len(wrapped))) + wrapped)
        if len(data) < 3 or data[:2] != _PN532_REPLY:
            raise CommunicationError(
                f"unexpected PN532 answer {data.hex(' ').upper() or '(empty)'}", reader=self.name
            )
        status = data[2] & 0x3F
        if status:
            reason = _PN532_STATUS.get(status, f"PN532 error 0x{status:02X}")
            raise TagCommandError(
                f"native command {command[:1].hex().upper()}: {reason}", reader=self.name, status=data[2:3]
            )
        return data[3:]


def probe_family(connection: CardConnection) -> type[StorageCardReader]:
    """Ask the reader for its ACS firmware string; readers that do not know the command are generic.

    The ACR122U answers ``FF 00 48 00 00`` with its firmware name (e.g. ``ACR122U207``) and no status
    word; other readers refuse the command with an error status.
    """
    response = connection.transmit(_ACR122_FIRMWARE)
    if response.startswith(b"ACR122"):
        return Acr122Reader
    return StorageCardReader


class ReaderFamilies:
    """Which adapter each reader needs: by name when the name says it, else probed once and remembered."""

    def __init__(self) -> None:
        self._known: dict[str, type[StorageCardReader]] = {}

    def adapter_for(self, connection: CardConnection) -> StorageCardReader:
        family = self._known.get(connection.reader)
        if family is None:
            family = Acr122Reader if "ACR122" in connection.reader.upper() else probe_family(connection)
            self._known[connection.reader] = family
        return family(connection)

    def forget(self, reader: str) -> None:
        self._known.pop(reader, None)
