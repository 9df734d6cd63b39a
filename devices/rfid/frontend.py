"""The few verbs an application needs: find a tag, read it whole, write an evidence number to it.

A :class:`TagReading` is built only after every part of the tag (UID, model, NDEF text, tamper
status) has been read; if the tag leaves on the way, the caller gets :class:`TagLeftField` and no
reading at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Literal

from devices.rfid.errors import (
    NdefFormatError,
    NoTagPresent,
    NotNdefTag,
    ReaderUnavailable,
    TagLeftField,
    WriteNotVerified,
)
from devices.rfid.ndef import decode_text, encode_text
from devices.rfid.ntag import TagIdentity, TagType, TamperStatus, identify, read_tamper
from devices.rfid.pcsc import PNP_NOTIFICATION, CardConnection, PcscContext, ReaderState
from devices.rfid.readers import ReaderFamilies, StorageCardReader
from devices.rfid.type2 import read_ndef_message, write_ndef_message

NdefStatus = Literal["text", "empty", "no_text_record", "not_formatted", "malformed", "not_type2"]


@dataclass(frozen=True, slots=True)
class TagReading:
    """One tag, read completely. ``ndef`` says what the data area held; ``text`` is set for "text"."""

    reader: str
    uid: bytes
    atr: bytes
    type: TagType
    identified_by: str
    ndef: NdefStatus
    text: str | None
    tamper: TamperStatus | None

    @property
    def uid_hex(self) -> str:
        return self.uid.hex().upper()

    def to_json(self) -> dict[str, object]:
        return {
            "reader": self.reader,
            "uid": self.uid_hex,
            "type": self.type.name,
            "text": self.text,
            "tamper": None if self.tamper is None else self.tamper.to_json(),
            "ndef": self.ndef,
            "identified_by": self.identified_by,
            "atr": self.atr.hex().upper(),
        }


class TagHandle:
    """A connected, identified tag. Use as a context manager; closing leaves the tag powered."""

    def __init__(self, connection: CardConnection, reader: StorageCardReader, identity: TagIdentity) -> None:
        self.connection = connection
        self.reader = reader
        self.identity = identity

    @property
    def uid(self) -> bytes:
        return self.identity.uid

    @property
    def tag_type(self) -> TagType:
        return self.identity.type

    def read_ndef(self) -> tuple[NdefStatus, str | None]:
        if not self.tag_type.type2:
            return "not_type2", None
        try:
            message = read_ndef_message(self.reader, self.tag_type, self.identity.header)
        except NotNdefTag:
            return "not_formatted", None
        except NdefFormatError:
            return "malformed", None
        if not message:
            return "empty", None
        try:
            text = decode_text(message)
        except NdefFormatError:
            return "malformed", None
        return ("text", text) if text is not None else ("no_text_record", None)

    def read_tamper(self) -> TamperStatus | None:
        return read_tamper(self.reader) if self.tag_type.tamper else None

    def read(self) -> TagReading:
        """The whole tag; if it leaves on the way, :class:`TagLeftField` with its UID and type."""
        identity = self.identity
        try:
            ndef, text = self.read_ndef()
            tamper = self.read_tamper()
        except TagLeftField as left:
            raise left.with_identity(identity.uid, identity.type.name, self.connection.reader) from left
        return TagReading(
            self.connection.reader,
            identity.uid,
            identity.atr,
            identity.type,
            identity.identified_by,
            ndef,
            text,
            tamper,
        )

    def write_text(self, text: str) -> TagReading:
        """Write ``text`` as the tag's one NDEF Text record, then read the tag back and compare."""
        if not self.tag_type.type2:
            raise NotNdefTag(f"a {self.tag_type.name} does not hold NDEF here", reader=self.connection.reader)
        write_ndef_message(self.reader, self.tag_type, encode_text(text))
        self.identity = TagIdentity(
            self.identity.uid, self.identity.atr, self.identity.type, self.identity.identified_by
        )
        reading = self.read()
        if reading.text != text:
            raise WriteNotVerified(
                f"wrote {text!r} but read back {reading.text!r} ({reading.ndef})", reader=reading.reader
            )
        return reading

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> TagHandle:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def open_tag(context: PcscContext, reader: str, families: ReaderFamilies | None = None) -> TagHandle:
    """Connect to the tag on ``reader`` and identify it."""
    connection = context.connect(reader)
    try:
        adapter = (families or ReaderFamilies()).adapter_for(connection)
        identity = identify(adapter, connection.atr)
    except BaseException:
        connection.close()
        raise
    return TagHandle(connection, adapter, identity)


def read_tag(context: PcscContext, reader: str, families: ReaderFamilies | None = None) -> TagReading:
    """Everything on the tag on ``reader``, or an error: never part of it."""
    with open_tag(context, reader, families) as tag:
        return tag.read()


def matching_readers(readers: list[str], wanted: str | None) -> list[str]:
    """Readers whose name contains ``wanted`` (case-insensitive); all when ``wanted`` is None."""
    if wanted is None:
        return list(readers)
    return [name for name in readers if wanted.lower() in name.lower()]


def wait_for_tag(
    context: PcscContext,
    reader: str | None = None,
    timeout: float = 10.0,
    clock: Callable[[], float] = time.monotonic,
) -> str:
    """The name of a reader (matching ``reader``) with a tag on it, waiting up to ``timeout`` seconds.

    Raises :class:`NoTagPresent` when none arrives in time, :class:`ReaderUnavailable` when no reader
    matches at all.
    """
    deadline = clock() + timeout
    notification = ReaderState(PNP_NOTIFICATION, 0)
    states = [ReaderState(name, 0) for name in matching_readers(context.readers(), reader)]
    while True:
        changed = context.wait_for_change([notification, *states], max(0.0, deadline - clock()))
        if changed is not None:
            notification, *current = [state.settled() for state in changed]
            present = [state.name for state in current if state.present]
            if present:
                return present[0]
            known = {state.name: state for state in current}
            names = matching_readers(context.readers(), reader)
            states = [known.get(name, ReaderState(name, 0)) for name in names]
        elif clock() >= deadline:
            if not states:
                available = ", ".join(context.readers()) or "none"
                raise ReaderUnavailable(f"no reader matches {reader!r} (readers: {available})")
            where = f"a reader matching {reader!r}" if reader else "any reader"
            raise NoTagPresent(f"no tag on {where} within {timeout:g} s")
