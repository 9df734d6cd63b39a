"""`custody tag watch|write` and `custody sim tag`, run as commands against pcscd and vpcd."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable

import pytest
from rfid_stack import SLOT0, WAIT, EventLog, JsonLines, custody_command

from devices.rfid import TagArrived, TagRemoved
from simulators.tag import VirtualTag
from simulators.tag_memory import text_tlv

pytestmark = [pytest.mark.devices, pytest.mark.xdist_group("pcscd")]

NUMBER = "F220100202600012787"
MakeTag = Callable[..., VirtualTag]


def test_watch_prints_one_json_line_per_arrival_and_removal(tags: MakeTag) -> None:
    tag = tags("ntag215", uid=bytes.fromhex("04A1B2C3D4E5F6"), text=NUMBER)
    command = custody_command("tag", "watch", "--reader", "00 00", "--count", "3")
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as watch:
        lines = JsonLines(watch)
        assert lines.next() == {"event": "reader_added", "reader": SLOT0}
        tag.put_on_reader()
        arrived = lines.next()
        tag.take_off_reader()
        removed = lines.next()
        assert watch.wait(WAIT) == 0
    assert {key: arrived[key] for key in ("event", "uid", "type", "text", "tamper")} == {
        "event": "arrived",
        "uid": "04A1B2C3D4E5F6",
        "type": "NTAG215",
        "text": NUMBER,
        "tamper": None,
    }
    assert removed == {"event": "removed", "reader": SLOT0, "uid": "04A1B2C3D4E5F6"}


def test_watch_prints_the_uid_and_type_of_a_tag_that_left_after_its_uid_was_read(tags: MakeTag) -> None:
    tag = tags("ntag215", uid=bytes.fromhex("04A1B2C3D4E5F6"), text=NUMBER)
    tag.leave_during_read(after=1)  # the UID and header are read, the NDEF text is not
    command = custody_command("tag", "watch", "--reader", "00 00", "--count", "2")
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as watch:
        lines = JsonLines(watch)
        assert lines.next() == {"event": "reader_added", "reader": SLOT0}
        tag.put_on_reader()
        error = lines.next()
        assert watch.wait(WAIT) == 0
    assert {key: error[key] for key in ("event", "kind", "uid", "type")} == {
        "event": "error",
        "kind": "tag_removed",
        "uid": "04A1B2C3D4E5F6",
        "type": "NTAG215",
    }
    assert "text" not in error and NUMBER not in json.dumps(error)


def test_write_puts_the_number_on_the_tag_and_prints_the_read_back(monitor: EventLog, tags: MakeTag) -> None:
    tag = tags("ntag213")
    tag.put_on_reader()
    monitor.expect(TagArrived)
    result = subprocess.run(
        custody_command("tag", "write", NUMBER.lower(), "--reader", "00 00"),
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    written = json.loads(result.stdout.splitlines()[-1])
    assert (written["event"], written["text"], written["type"]) == ("written", NUMBER, "NTAG213")
    tlv = text_tlv(NUMBER)
    assert tag.tag.read(4) + tag.tag.read(8) == (tlv + bytes(32))[:32]


def test_write_to_a_locked_tag_prints_the_error_and_fails(monitor: EventLog, tags: MakeTag) -> None:
    tags("ntag215", text="F220100202600000001", locked=True).put_on_reader()
    monitor.expect(TagArrived)
    result = subprocess.run(
        custody_command("tag", "write", NUMBER, "--reader", "00 00"),
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )
    assert result.returncode == 1
    error = json.loads(result.stdout.splitlines()[-1])
    assert (error["event"], error["kind"]) == ("error", "tag_locked")
    assert "read-only" in result.stderr


def test_sim_tag_presents_a_tamper_tag_until_told_to_quit(monitor: EventLog) -> None:
    command = custody_command(
        "sim", "tag", "--no-pcscd", "--type", "ntag213tt", "--uid", "04000000000042", "--tamper-open"
    )
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as sim:
        assert sim.stdin is not None
        lines = JsonLines(sim)
        assert lines.until("ready")["type"] == "NTAG213 TT"
        arrived = monitor.expect(TagArrived)
        assert arrived.reading.uid_hex == "04000000000042"
        assert arrived.reading.tamper is not None and arrived.reading.tamper.broken
        sim.stdin.write("quit\n")
        sim.stdin.flush()
        assert lines.until("stopped") == {"event": "stopped"}
        assert sim.wait(WAIT) == 0
    assert monitor.expect(TagRemoved).uid == bytes.fromhex("04000000000042")
