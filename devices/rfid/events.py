"""What the tag monitor reports: tags arriving and leaving, readers coming and going, errors.

Each event turns into one JSON object (``custody tag watch`` prints one a line). Times are taken from
the monitor's clock (monotonic by default) when the event is known, after any reading.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from devices.rfid.errors import RfidError, TagLeftField
from devices.rfid.frontend import TagReading


@dataclass(frozen=True, slots=True)
class TagArrived:
    """A tag came into the field and was read completely."""

    event: ClassVar[str] = "arrived"
    reading: TagReading
    at: float

    @property
    def reader(self) -> str:
        return self.reading.reader

    @property
    def uid(self) -> bytes:
        return self.reading.uid

    @property
    def text(self) -> str | None:
        return self.reading.text

    def to_json(self) -> dict[str, object]:
        return {"event": self.event, **self.reading.to_json()}


@dataclass(frozen=True, slots=True)
class TagRemoved:
    """A tag reported by :class:`TagArrived` left the field (or can no longer be seen)."""

    event: ClassVar[str] = "removed"
    reader: str
    uid: bytes
    at: float

    def to_json(self) -> dict[str, object]:
        return {"event": self.event, "reader": self.reader, "uid": self.uid.hex().upper()}


@dataclass(frozen=True, slots=True)
class ReaderAdded:
    event: ClassVar[str] = "reader_added"
    reader: str
    at: float

    def to_json(self) -> dict[str, object]:
        return {"event": self.event, "reader": self.reader}


@dataclass(frozen=True, slots=True)
class ReaderRemoved:
    event: ClassVar[str] = "reader_removed"
    reader: str
    at: float

    def to_json(self) -> dict[str, object]:
        return {"event": self.event, "reader": self.reader}


@dataclass(frozen=True, slots=True)
class DeviceError:
    """Something went wrong and was dealt with: the monitor keeps running and retries where it can.

    ``kind`` is the error's stable name (``tag_removed``, ``pcscd_unavailable``, ...). A
    ``tag_removed`` error also gives the tag's ``uid`` and ``type`` when they were read whole before
    the tag left (null otherwise); never any of its data.
    """

    event: ClassVar[str] = "error"
    error: RfidError
    at: float
    reader: str | None = None

    @property
    def kind(self) -> str:
        return self.error.kind

    @property
    def message(self) -> str:
        return self.error.message

    @property
    def uid(self) -> bytes | None:
        """For a tag that left mid-read: its UID, when that was read whole before it left."""
        return self.error.uid if isinstance(self.error, TagLeftField) else None

    def to_json(self) -> dict[str, object]:
        record: dict[str, object] = {
            "event": self.event,
            "kind": self.kind,
            "reader": self.reader,
            "message": self.message,
        }
        if isinstance(self.error, TagLeftField):
            uid = self.error.uid
            record.update(uid=None if uid is None else uid.hex().upper(), type=self.error.tag_type)
        return record


TagEvent = TagArrived | TagRemoved | ReaderAdded | ReaderRemoved | DeviceError
