"""The RFID driver's error family.

Each error is raised by the layer that knows what went wrong (the PC/SC transport, the reader adapter,
the tag) and carries a stable ``kind`` that error events and the CLI's JSON lines use. Nothing in the
driver turns one of these into a value: an operation either completes or raises.
"""

from __future__ import annotations


class RfidError(Exception):
    """Base of every error the RFID driver raises."""

    kind = "rfid_error"

    def __init__(self, message: str, *, reader: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.reader = reader


class PcscUnavailable(RfidError):
    """The PC/SC service (pcscd) is not running, or went away while we were talking to it."""

    kind = "pcscd_unavailable"


class ReaderUnavailable(RfidError):
    """The reader named is not (or no longer) known to pcscd."""

    kind = "reader_unavailable"


class NoTagPresent(RfidError):
    """No tag is on the reader (or none arrived in the time allowed)."""

    kind = "no_tag"


class TagLeftField(RfidError):
    """The tag left the reader's field during an exchange; whatever was read so far is discarded,
    except the tag's UID (and its type, once known) when they had been read whole before it left:
    ``uid`` and ``tag_type`` are None otherwise. Never any part of the tag's data."""

    kind = "tag_removed"

    def __init__(
        self,
        message: str,
        *,
        reader: str | None = None,
        uid: bytes | None = None,
        tag_type: str | None = None,
    ) -> None:
        super().__init__(message, reader=reader)
        self.uid = uid
        self.tag_type = tag_type

    def with_identity(self, uid: bytes, tag_type: str | None, reader: str | None) -> TagLeftField:
        """This error, carrying the UID (and type) read before the tag left; unchanged if it has one."""
        if self.uid is not None:
            return self
        return TagLeftField(self.message, reader=self.reader or reader, uid=uid, tag_type=tag_type)


class CommunicationError(RfidError):
    """The exchange with the reader or tag failed for another reason (garbled, unresponsive, busy)."""

    kind = "communication"


class TagCommandError(RfidError):
    """The reader or the tag refused a command (a status word other than 90 00, a PN532 error)."""

    kind = "tag_command"

    def __init__(self, message: str, *, reader: str | None = None, status: bytes = b"") -> None:
        super().__init__(message, reader=reader)
        self.status = status


class NativeCommandUnsupported(TagCommandError):
    """The reader family offers no way to send native tag commands (no direct transmit)."""

    kind = "native_unsupported"


class NdefFormatError(RfidError):
    """The tag's capability container or TLV area is malformed, or its NDEF message does not decode."""

    kind = "ndef_format"


class NotNdefTag(RfidError):
    """The tag cannot hold NDEF here (e.g. a MIFARE Classic card, or a Type 2 tag never formatted)."""

    kind = "not_ndef"


class TagLocked(RfidError):
    """The tag, or a page the write needs, is read-only (capability container or lock bits)."""

    kind = "tag_locked"


class TagTooSmall(RfidError):
    """The NDEF message does not fit in the tag's data area."""

    kind = "tag_too_small"


class WriteNotVerified(RfidError):
    """The tag was written but reading it back gave something else."""

    kind = "write_not_verified"


class DriverFault(RfidError):
    """An answer or state the driver did not foresee (a bug to fix); reported as an event, never a crash."""

    kind = "driver_fault"
