"""Fuzz targets: each takes the fuzzer's bytes and may raise only the documented errors of what it calls.

Run one with ``python tests/fuzz/targets.py TARGET [libFuzzer flags] [CORPUS_DIR]`` (atheris, coverage
guided); ``tests/fuzz/test_fuzz.py`` runs each for a bounded time over its corpus in ``tests/fuzz/corpus``.
Anything else raised, a hang, or a 5xx from the app is a finding: libFuzzer saves the input that did it.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import atheris

with atheris.instrument_imports(include=["devices", "custody", "api"]):
    from custody.codes import SealNumber, classify
    from custody.errors import CustodyError
    from custody.numbers import EvidenceNumber
    from devices.rfid.errors import NdefFormatError, NotNdefTag
    from devices.rfid.ndef import decode_text, parse_ndef_area, scan_ndef_tlv
    from devices.rfid.type2 import CapabilityContainer
    from devices.scanner.errors import Gs1Error
    from devices.scanner.frames import FrameParser, Framing
    from devices.scanner.gs1 import parse_element_string

NOW = datetime(2026, 12, 3, tzinfo=UTC)


def scanner_frames(data: bytes) -> None:
    """Bytes off the serial line, cut into reads at points the fuzzer chooses: never raises."""
    provider = atheris.FuzzedDataProvider(data)
    aim = provider.ConsumeBool()
    window = 0.2 if provider.ConsumeBool() else 0.0
    suffix = b"\x03" if provider.ConsumeBool() else None
    parser = FrameParser(Framing(suffix=suffix, aim=aim, duplicate_window=window))
    clock = 0.0
    parser.opened(clock)
    while provider.remaining_bytes():
        chunk = provider.ConsumeBytes(provider.ConsumeIntInRange(1, 64))
        clock += provider.ConsumeIntInRange(0, 500) / 1000
        parser.feed(chunk, clock, NOW)
        if provider.ConsumeBool():
            parser.expire(clock, NOW)
    parser.cut(clock, NOW)


def gs1(data: bytes) -> None:
    with contextlib.suppress(Gs1Error):
        parse_element_string(data.decode("latin-1"))


def ndef_area(data: bytes) -> None:
    try:
        message = parse_ndef_area(data)
        if message is not None:
            decode_text(message)
    except NdefFormatError:
        pass
    provider = atheris.FuzzedDataProvider(data)
    with contextlib.suppress(NdefFormatError):  # a partial read of the area
        result = scan_ndef_tlv(data, provider.ConsumeIntInRange(0, len(data) + 8))
        assert result is None or isinstance(result, int) or isinstance(result.message, bytes)


def type2_container(data: bytes) -> None:
    with contextlib.suppress(NotNdefTag, NdefFormatError):
        CapabilityContainer.parse(data[:4])


def numbers(data: bytes) -> None:
    text = data.decode("utf-8", "replace")
    for parse in (EvidenceNumber.parse, SealNumber.parse):
        with contextlib.suppress(CustodyError):
            parse(text)
    scanned = classify(text)
    assert scanned.kind in {"evidence", "seal", "location", "unknown"}


TARGETS: dict[str, Callable[[bytes], None]] = {
    "scanner_frames": scanner_frames,
    "gs1": gs1,
    "ndef_area": ndef_area,
    "type2_container": type2_container,
    "numbers": numbers,
}


def api_target(kind: str) -> Callable[[bytes], None]:
    """Request bodies through the ASGI app (a scan posted by a station; an act posted by a clerk) on a
    database of its own: any answer but a 5xx."""
    sys.path.insert(0, str(Path(__file__).parent))
    with atheris.instrument_imports(include=["api", "custody"]):
        from app_world import AppWorld

    world = AppWorld.make()

    def target(data: bytes) -> None:
        status = world.post(kind, data)
        if status >= 500:
            raise AssertionError(f"{kind}: {status} for {data[:200]!r}")

    return target


def main(argv: list[str]) -> None:
    name = argv[1]
    target: Any = api_target(name.removeprefix("api_")) if name.startswith("api_") else TARGETS[name]
    atheris.Setup([argv[0], *argv[2:]], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
