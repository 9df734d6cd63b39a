"""RFID/NFC readers over PC/SC (pyscard → pcscd), in the layers of nfcpy.

* :mod:`~devices.rfid.pcsc` — transport: a context with pcscd, reader states, card connections;
* :mod:`~devices.rfid.readers` — reader adapters: PC/SC part 3 pseudo-APDUs, ACR122U direct transmit;
* :mod:`~devices.rfid.ntag`, :mod:`~devices.rfid.type2`, :mod:`~devices.rfid.ndef` — tags: models and
  identification, Type 2 memory (capability container, lock bits), NDEF TLV and Text records;
* :mod:`~devices.rfid.frontend` and :mod:`~devices.rfid.monitor` — what applications use: read or
  write the tag on a reader, and a monitor thread reporting arrivals, removals and errors.
"""

from devices.rfid.errors import RfidError
from devices.rfid.events import DeviceError, ReaderAdded, ReaderRemoved, TagArrived, TagEvent, TagRemoved
from devices.rfid.frontend import TagHandle, TagReading, open_tag, read_tag, wait_for_tag
from devices.rfid.monitor import TagMonitor
from devices.rfid.ntag import TagType, TamperStatus
from devices.rfid.pcsc import PcscContext

__all__ = [
    "DeviceError",
    "PcscContext",
    "ReaderAdded",
    "ReaderRemoved",
    "RfidError",
    "TagArrived",
    "TagEvent",
    "TagHandle",
    "TagMonitor",
    "TagReading",
    "TagRemoved",
    "TagType",
    "TamperStatus",
    "open_tag",
    "read_tag",
    "wait_for_tag",
]
