"""The scanner driver's error family, and the stable names of the faults it reports as events.

Two different things live here. :class:`ScannerError` and its children are *raised*: a setting that
makes no sense, a trigger command sent while the port is down. :class:`Fault` names what went wrong
with the bytes on the line (noise, a wrong baud rate, a frame cut short); the parser never raises for
those, it reports a :class:`~devices.scanner.events.DeviceError` event with one of these kinds and
carries on, because a bad device must never stop the driver.
"""

from __future__ import annotations

from enum import StrEnum


class ScannerError(Exception):
    """Base of every error the scanner driver raises."""


class ScannerSettingsError(ScannerError, ValueError):
    """A framing or port setting that cannot work (unknown terminator name, empty charset, ...)."""


class ScannerNotConnected(ScannerError):
    """A command (trigger, untrigger) was sent while the port is closed or being reconnected."""


class Gs1Error(ScannerError, ValueError):
    """A GS1 element string that does not parse: unknown AI, wrong length, bad check digit, ..."""


class Fault(StrEnum):
    """Why a run of bytes was not delivered as a scan (the ``kind`` of a device error event)."""

    IDLE_PARTIAL = "idle_partial"
    """A partial frame stayed idle past the idle timeout; discarded."""
    CUT_OFF = "cut_off"
    """A partial frame was pending when the port went away; discarded."""
    TOO_LONG = "too_long"
    """More bytes than the maximum frame length without a frame end."""
    TOO_SHORT = "too_short"
    """A frame shorter than the minimum length (most often a fragment of line garbage)."""
    BAD_BYTES = "bad_bytes"
    """A frame holding bytes outside the configured character set (line noise)."""
    GARBLED = "garbled"
    """A frame made mostly of bytes outside the character set: a wrong baud rate, parity or stop bits."""
    UNSYNCHRONISED = "unsynchronised"
    """A well-formed frame right after a rejected frame, or the first after the port opened, with no
    pause before it: it may be the tail of a frame whose start was lost. (With AIM identifiers a
    frame after a rejected one is not withheld: a frame end and an identifier mark its start.)"""
    NO_PREFIX = "no_prefix"
    """A frame that does not start with the configured prefix."""
    NO_AIM = "no_aim"
    """AIM symbology identifiers are expected but the frame does not start with one."""
    GS1_INVALID = "gs1_invalid"
    """A GS1 symbology whose data is not a valid GS1 element string."""
