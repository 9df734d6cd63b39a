"""Barcode scanner on a serial port: a pure frame parser driven by a thin pyserial port loop.

Layers, bottom up: :mod:`~devices.scanner.port` owns the port (open, read, reconnect, trigger
commands); :mod:`~devices.scanner.frames` turns bytes into frames and checks them, with
:mod:`~devices.scanner.aim` (symbology identifiers) and :mod:`~devices.scanner.gs1` (GS1 element
strings); :mod:`~devices.scanner.events` is what comes out. The driver knows bytes and codes, not what
a code means: evidence numbers and their check characters are the custody domain's business.

    from devices.scanner import PortSettings, SerialScanner

    with SerialScanner(PortSettings("/dev/ttyUSB0", baudrate=9600)) as scanner:
        for event in scanner.events():
            print(event.to_json())
"""

from devices.scanner.errors import Fault, ScannerError, ScannerNotConnected, ScannerSettingsError
from devices.scanner.events import (
    Connected,
    DeviceError,
    Disconnected,
    Reconnected,
    Scan,
    ScannerEvent,
    Stamp,
)
from devices.scanner.frames import DEFAULT_CHARSET, FrameParser, Framing, terminator
from devices.scanner.port import Clock, PortSettings, SerialScanner, SystemClock, TriggerCommands

__all__ = [
    "DEFAULT_CHARSET",
    "Clock",
    "Connected",
    "DeviceError",
    "Disconnected",
    "Fault",
    "FrameParser",
    "Framing",
    "PortSettings",
    "Reconnected",
    "Scan",
    "ScannerError",
    "ScannerEvent",
    "ScannerNotConnected",
    "ScannerSettingsError",
    "SerialScanner",
    "Stamp",
    "SystemClock",
    "TriggerCommands",
    "terminator",
]
