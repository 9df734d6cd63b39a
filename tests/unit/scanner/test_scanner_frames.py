"""The frame parser, fed by hand: what it delivers, what it refuses and why."""

from __future__ import annotations

import gc
import pickle
from datetime import UTC, datetime

import pytest

from devices.scanner import (
    DeviceError,
    Fault,
    FrameParser,
    Framing,
    Scan,
    ScannerSettingsError,
    Stamp,
    terminator,
)
from devices.scanner.aim import split_aim

UTC_NOW = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)


def feed(parser: FrameParser, *reads: bytes | tuple[float, bytes]) -> list[Scan | DeviceError]:
    """Feed reads in order; a read is bytes (at the previous read's time) or (time, bytes)."""
    events: list = []
    now = 0.0
    for read in reads:
        if isinstance(read, tuple):
            now, data = read
        else:
            data = read
        events += parser.feed(data, now, UTC_NOW)
    return events


def codes(events: list) -> list[str]:
    return [event.code for event in events if isinstance(event, Scan)]


def faults(events: list) -> list[Fault]:
    return [event.kind for event in events if isinstance(event, DeviceError)]


def test_a_frame_ends_at_cr_lf_or_crlf_by_default():
    events = feed(FrameParser(), b"CODE-CR\rCODE-LF\nCODE-CRLF\r\nNEXT")
    assert codes(events) == ["CODE-CR", "CODE-LF", "CODE-CRLF"]
    assert faults(events) == []


def test_a_frame_split_over_many_reads_is_delivered_once_when_complete():
    parser = FrameParser()
    frame = b"F220100202600012787\r"
    events = feed(parser, *(frame[i : i + 1] for i in range(len(frame))))
    assert codes(events) == ["F220100202600012787"]


def test_crlf_split_between_two_reads_makes_no_empty_frame():
    events = feed(FrameParser(), b"FIRST\r", b"\nSECOND\r", b"\n")
    assert codes(events) == ["FIRST", "SECOND"]
    assert faults(events) == []


def test_a_scan_carries_code_raw_device_and_read_times():
    parser = FrameParser(device="desk-1")
    (scan,) = feed(parser, (12.5, b"A220100202600012844\r"))
    assert scan == Scan.of(b"A220100202600012844", "desk-1", 12.5, UTC_NOW)
    fields = (scan.code, scan.symbology, scan.aim, scan.gs1, scan.raw, scan.device, scan.monotonic, scan.utc)
    code = "A220100202600012844"
    assert fields == (code, None, None, None, code.encode(), "desk-1", 12.5, UTC_NOW)


@pytest.mark.parametrize(
    ("suffix", "stream"),
    [
        ("TAB", b"ABCD\tEFGH\t"),
        ("CR", b"ABCD\rEFGH\r"),
        ("LF", b"ABCD\nEFGH\n"),
        ("0x03", b"ABCD\x03EFGH\x03"),
    ],
)
def test_a_configured_suffix_ends_frames(suffix, stream):
    events = feed(FrameParser(Framing(suffix=terminator(suffix))), stream)
    assert codes(events) == ["ABCD", "EFGH"]


def test_a_configured_suffix_is_the_only_frame_end():
    events = feed(FrameParser(Framing(suffix=b"\t")), b"ABCD\rEFGH\t")
    assert codes(events) == []
    assert faults(events) == [Fault.BAD_BYTES]


def test_a_multibyte_suffix_straddling_two_reads_ends_the_frame():
    events = feed(FrameParser(Framing(suffix=b"\r\n")), b"ABCD\r", b"\nEFGH\r\n")
    assert codes(events) == ["ABCD", "EFGH"]


def test_a_stray_byte_of_a_multibyte_suffix_rejects_its_frame():
    events = feed(FrameParser(Framing(suffix=b"\r\n")), b"AB\rCD\r\n")
    assert codes(events) == []
    assert faults(events) == [Fault.BAD_BYTES]


def test_prefix_and_suffix_are_stripped():
    parser = FrameParser(Framing(prefix=b"\x02", suffix=b"\x03"))
    (scan,) = feed(parser, b"\x02SEAL-000123\x03")
    assert (scan.code, scan.raw) == ("SEAL-000123", b"SEAL-000123")


def test_a_frame_without_the_prefix_is_rejected():
    events = feed(FrameParser(Framing(prefix=b"@")), b"SEAL-000123\r")
    assert faults(events) == [Fault.NO_PREFIX]


def test_a_partial_frame_idle_past_the_timeout_is_discarded_and_counted():
    parser = FrameParser(Framing(idle_timeout=0.5))
    assert feed(parser, (1.0, b"F2201002026")) == []
    assert parser.expire(1.4, UTC_NOW) == []
    (error,) = parser.expire(1.5, UTC_NOW)
    assert (error.kind, error.raw) == (Fault.IDLE_PARTIAL, b"F2201002026")
    assert parser.stats.rejected[Fault.IDLE_PARTIAL] == 1
    assert codes(feed(parser, (3.0, b"A220100202600012844\r"))) == ["A220100202600012844"]


def test_bytes_after_an_idle_gap_are_never_joined_to_the_stale_partial():
    parser = FrameParser(Framing(idle_timeout=0.5))
    events = feed(parser, (1.0, b"F2201002026"), (2.0, b"00012787\r"))
    assert faults(events) == [Fault.IDLE_PARTIAL]
    assert codes(events) == ["00012787"]  # a frame of its own, not "F220100202600012787"


def test_the_idle_deadline_follows_the_pending_partial():
    parser = FrameParser(Framing(idle_timeout=0.5))
    assert parser.deadline() is None
    feed(parser, (1.0, b"F22"))
    assert parser.deadline() == 1.5
    feed(parser, (1.2, b"0\r"))
    assert parser.deadline() is None


def test_an_overlong_frame_is_rejected_and_dropped_up_to_its_end():
    parser = FrameParser(Framing(max_length=16))
    events = feed(parser, (1.0, b"X" * 20), (1.0, b"Y" * 30 + b"\r"), (2.0, b"AFTER-PAUSE\r"))
    assert faults(events) == [Fault.TOO_LONG]
    assert codes(events) == ["AFTER-PAUSE"]


def test_an_overlong_frame_within_one_read_is_rejected():
    events = feed(FrameParser(Framing(max_length=16)), b"Z" * 17 + b"\r")
    assert faults(events) == [Fault.TOO_LONG]


def test_a_frame_of_exactly_the_maximum_length_is_delivered():
    parser = FrameParser(Framing(max_length=16))
    assert codes(feed(parser, b"Z" * 10, b"Z" * 6 + b"\r")) == ["Z" * 16]


def test_a_frame_shorter_than_the_minimum_is_rejected():
    events = feed(FrameParser(Framing(min_length=4)), b"J\r")
    assert faults(events) == [Fault.TOO_SHORT]


def test_a_frame_with_bytes_outside_the_charset_is_rejected_whole():
    events = feed(FrameParser(), b"F2201\xff0202600012787\r")
    assert codes(events) == []
    assert faults(events) == [Fault.BAD_BYTES]
    assert events[0].raw == b"F2201\xff0202600012787"


def test_mostly_foreign_bytes_are_reported_as_garbled_with_a_hint():
    (error,) = feed(FrameParser(), b"\x00\x80\xf8\x00x\x00\r")
    assert error.kind is Fault.GARBLED
    assert "baud" in error.detail


def test_a_frame_right_behind_rejected_bytes_is_unsynchronised():
    events = feed(FrameParser(), (1.0, b"\xfe\x00\rF220100202600012787\r"))
    assert codes(events) == []
    assert faults(events) == [Fault.GARBLED, Fault.UNSYNCHRONISED]


def test_a_pause_after_rejected_bytes_resynchronises():
    parser = FrameParser(Framing(quiet_gap=0.05))
    events = feed(parser, (1.0, b"\xfe\x00\r"), (1.01, b"TOO-SOON\r"), (1.2, b"AFTER-PAUSE\r"))
    assert faults(events) == [Fault.GARBLED, Fault.UNSYNCHRONISED]
    assert codes(events) == ["AFTER-PAUSE"]


def test_only_the_one_frame_after_a_rejected_frame_is_withheld():
    events = feed(FrameParser(), (1.0, b"F2201\xfe\x0000202600012787\r0202600012787\rA220100202600012844\r"))
    assert faults(events) == [Fault.BAD_BYTES, Fault.UNSYNCHRONISED]
    assert codes(events) == ["A220100202600012844"]


def test_a_frame_withheld_after_an_overlong_one_is_the_only_one():
    parser = FrameParser(Framing(max_length=40))
    events = feed(parser, (1.0, b"X" * 100), (1.001, b"TAIL\rFIRST-AFTER\rSECOND-AFTER\r"))
    assert faults(events) == [Fault.TOO_LONG, Fault.UNSYNCHRONISED]
    assert codes(events) == ["SECOND-AFTER"]


def test_with_aim_a_frame_end_then_an_identifier_is_a_known_frame_start():
    parser = FrameParser(Framing(aim=True, max_length=40))
    stream = b"]C0F22\x00\xff01002026\r" + b"X" * 60 + b"\r]C0F220100202600012787\r]C0A220100202600012844\r"
    events = feed(parser, (1.0, stream))
    assert faults(events) == [Fault.BAD_BYTES, Fault.TOO_LONG]
    assert codes(events) == ["F220100202600012787", "A220100202600012844"]


def test_with_aim_a_frame_without_an_identifier_after_a_rejected_one_is_withheld_alone():
    parser = FrameParser(Framing(aim=True))
    events = feed(parser, (1.0, b"]C0\xfe\x00BAD1\r0202600012787\r]C0F220100202600012787\r"))
    assert faults(events) == [Fault.BAD_BYTES, Fault.UNSYNCHRONISED]
    assert codes(events) == ["F220100202600012787"]


def test_with_aim_the_first_frame_after_the_port_opens_is_still_withheld():
    parser = FrameParser(Framing(aim=True, quiet_gap=0.05))
    parser.opened(10.0)
    events = feed(parser, (10.001, b"]C00202600012787\r]C0F220100202600012787\r"))
    assert faults(events) == [Fault.UNSYNCHRONISED]
    assert codes(events) == ["F220100202600012787"]


def test_bytes_that_waited_in_the_buffer_are_no_pause():
    """Read late is not sent late: only a look that found nothing waiting proves the line was quiet."""
    parser = FrameParser(Framing(quiet_gap=0.05))
    feed(parser, (1.0, b"\xfe\x00\r"))
    events = parser.feed(b"LATE-READ\r", 2.0, UTC_NOW, quiet_until=1.01)
    assert faults(events) == [Fault.UNSYNCHRONISED]
    assert codes(parser.feed(b"AFTER-PAUSE\r", 3.0, UTC_NOW, quiet_until=2.9)) == ["AFTER-PAUSE"]


def test_bytes_arriving_as_the_port_opens_start_no_frame():
    parser = FrameParser(Framing(quiet_gap=0.05))
    parser.opened(10.0)
    assert faults(feed(parser, (10.01, b"0202600012787\r"))) == [Fault.UNSYNCHRONISED]
    parser.opened(20.0)
    assert codes(feed(parser, (20.2, b"F220100202600012787\r"))) == ["F220100202600012787"]


def test_losing_the_port_discards_the_partial_frame():
    parser = FrameParser()
    feed(parser, (1.0, b"GOOD-1\rF2201"))
    (error,) = parser.cut(1.1, UTC_NOW)
    assert (error.kind, error.raw) == (Fault.CUT_OFF, b"F2201")
    parser.opened(2.0)
    assert codes(feed(parser, (2.5, b"GOOD-2\r"))) == ["GOOD-2"]


def test_losing_the_port_between_frames_reports_nothing():
    parser = FrameParser()
    feed(parser, b"GOOD-1\r")
    assert parser.cut(1.0, UTC_NOW) == []


def test_aim_identifiers_give_the_symbology_and_are_stripped():
    parser = FrameParser(Framing(aim=True))
    events = feed(parser, b"]C0F220100202600012787\r]E05901234123457\r]Q1https://example.org\r]Z9WHATEVER\r")
    got = [(scan.code, scan.symbology, scan.aim) for scan in events]
    assert got == [
        ("F220100202600012787", "code128", "]C0"),
        ("5901234123457", "ean-13", "]E0"),
        ("https://example.org", "qr", "]Q1"),
        ("WHATEVER", "aim-Z", "]Z9"),
    ]
    assert events[0].raw == b"]C0F220100202600012787"


def test_a_frame_without_an_aim_identifier_is_rejected_when_they_are_expected():
    events = feed(FrameParser(Framing(aim=True)), b"F220100202600012787\r")
    assert faults(events) == [Fault.NO_AIM]


def test_gs1_symbologies_are_split_into_application_identifiers():
    parser = FrameParser(Framing(aim=True))
    (scan,) = feed(parser, b"]d20106901234567892\x1d10LOT-42\x1d17281231" + b"21SN0001\r")
    assert scan.symbology == "gs1-datamatrix"
    assert scan.gs1 == {"01": "06901234567892", "10": "LOT-42", "17": "281231", "21": "SN0001"}
    assert scan.code == "0106901234567892\x1d10LOT-42\x1d1728123121SN0001"


def test_a_gs1_scan_equals_one_made_by_hand_and_says_everything_in_json():
    parser = FrameParser(Framing(aim=True), device="desk-2")
    raw = b"]C10106901234567892\x1d10LOT-42"
    (scan,) = feed(parser, (3.25, raw + b"\r"))
    aim, _ = split_aim(raw)
    fields = {"01": "06901234567892", "10": "LOT-42"}
    assert scan == Scan.of(raw, "desk-2", 3.25, UTC_NOW, aim=aim, gs1=fields)
    assert scan.to_json() == {
        "event": "scan",
        "code": "0106901234567892\x1d10LOT-42",
        "symbology": "gs1-128",
        "aim": "]C1",
        "gs1": fields,
        "device": "desk-2",
        "utc": "2026-03-02T01:30:00Z",
        "monotonic": 3.25,
        "raw": raw.hex(),
    }
    assert repr(scan).startswith("Scan(code='0106901234567892\\x1d10LOT-42', symbology='gs1-128', aim=']C1'")
    assert pickle.loads(pickle.dumps(scan)) == scan


def test_the_scans_of_one_read_share_its_stamp():
    events = feed(FrameParser(device="desk-1"), (7.0, b"FIRST-CODE\rSECOND-CODE\r"))
    assert [scan.stamp for scan in events] == [Stamp("desk-1", 7.0, UTC_NOW)] * 2
    assert events[0].stamp is events[1].stamp


def test_a_scan_is_immutable_and_costs_the_cycle_collector_nothing():
    (scan,) = feed(FrameParser(Framing(aim=True)), b"]C10106901234567892\x1d10LOT-42\r")
    for name in ("raw", "stamp", "identifier", "gs1"):
        with pytest.raises(AttributeError):
            setattr(scan, name, None)
    with pytest.raises(AttributeError):
        scan.stamp.utc = None
    # A burst brings thousands of scans at once: none of them is ever tracked by the collector.
    assert not gc.is_tracked(scan) and not gc.is_tracked(scan.stamp)


def test_a_damaged_gs1_code_is_an_error_not_a_scan():
    events = feed(FrameParser(Framing(aim=True)), b"]C10106901234567893\x1d10LOT-42\r")
    assert faults(events) == [Fault.GS1_INVALID]
    assert "check digit" in events[0].detail


def test_non_gs1_symbologies_have_no_gs1_fields():
    (scan,) = feed(FrameParser(Framing(aim=True)), b"]C00106901234567892\r")
    assert scan.gs1 is None


def test_duplicates_pass_when_no_window_is_set():
    assert codes(feed(FrameParser(), (1.0, b"SAME-CODE\r"), (1.2, b"SAME-CODE\r"))) == ["SAME-CODE"] * 2


def test_a_duplicate_within_the_window_is_suppressed_and_counted():
    parser = FrameParser(Framing(duplicate_window=1.0))
    events = feed(parser, (1.0, b"SAME-CODE\r"), (1.5, b"SAME-CODE\rOTHER-CODE\r"), (2.1, b"SAME-CODE\r"))
    assert codes(events) == ["SAME-CODE", "OTHER-CODE", "SAME-CODE"]
    assert parser.stats.duplicates == 1


def test_the_window_tells_symbologies_apart():
    parser = FrameParser(Framing(aim=True, duplicate_window=1.0))
    events = feed(parser, (1.0, b"]C012345678\r"), (1.1, b"]A012345678\r"))
    assert [scan.symbology for scan in events] == ["code128", "code39"]


def test_a_utf8_charset_delivers_text_and_rejects_broken_sequences():
    charset = bytes(range(0x20, 0x7F)) + bytes(range(0x80, 0x100))
    parser = FrameParser(Framing(charset=charset))
    events = feed(parser, (1.0, "封存-0001".encode() + b"\r"), (2.0, b"\xe5\xb0-0001\r"))
    assert codes(events) == ["封存-0001"]
    assert faults(events) == [Fault.BAD_BYTES]


def test_counters_add_up():
    parser = FrameParser()
    feed(parser, (1.0, b"GOOD-1\rGOOD-2\r"), (2.0, b"BAD\xff1\r"), (3.0, b"GOOD-3\r"))
    assert parser.stats.scans == 3
    assert parser.stats.rejected == {Fault.BAD_BYTES: 1}
    assert parser.stats.bytes == len(b"GOOD-1\rGOOD-2\rBAD\xff1\rGOOD-3\r")


def test_events_turn_into_json_objects():
    scan, error = feed(FrameParser(Framing(aim=True)), (1.0, b"]C10106901234567892\r"), (2.0, b"]C0\x80\r"))
    assert scan.to_json() == {
        "event": "scan",
        "code": "0106901234567892",
        "symbology": "gs1-128",
        "aim": "]C1",
        "gs1": {"01": "06901234567892"},
        "device": "scanner",
        "utc": "2026-03-02T01:30:00Z",
        "monotonic": 1.0,
        "raw": b"]C10106901234567892".hex(),
    }
    assert error.to_json()["event"] == "error"
    assert error.to_json()["kind"] == "bad_bytes"


@pytest.mark.parametrize(
    ("spec", "value"),
    [
        ("CR", b"\r"),
        ("lf", b"\n"),
        ("CRLF", b"\r\n"),
        ("TAB", b"\t"),
        ("0D0A", b"\r\n"),
        ("0x03", b"\x03"),
        ("02 03", b"\x02\x03"),
    ],
)
def test_terminators_by_name_or_hex(spec, value):
    assert terminator(spec) == value


@pytest.mark.parametrize("spec", ["", "CRX", "0G", "0x"])
def test_an_unknown_terminator_is_a_settings_error(spec):
    with pytest.raises(ScannerSettingsError, match="not a terminator"):
        terminator(spec)


@pytest.mark.parametrize(
    "settings",
    [
        {"suffix": b""},
        {"suffix": b"#"},
        {"prefix": b"\r"},
        {"prefix": b"\x02\x03", "suffix": b"\x03"},
        {"charset": b""},
        {"min_length": 0},
        {"min_length": 10, "max_length": 5},
        {"idle_timeout": 0},
        {"quiet_gap": 2.0, "idle_timeout": 1.0},
        {"duplicate_window": -1},
    ],
)
def test_framing_that_cannot_work_is_refused(settings):
    with pytest.raises(ScannerSettingsError):
        Framing(**settings)
